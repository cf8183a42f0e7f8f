#ifndef GATEHOUSE_CCURLSHIM_H
#define GATEHOUSE_CCURLSHIM_H

/* Non-variadic wrappers around libcurl's easy interface, so Swift can call it. */

#include <curl/curl.h>

/** A libcurl read or write callback: moves `size * count` bytes through `buffer`. */
typedef size_t (*ccurl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

/** Runs curl_global_init exactly once per process; returns its result. */
CURLcode ccurl_global_init_once(void);

/** Sets an option that takes a C string (libcurl copies it). */
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);

/** Sets an option that takes a long. */
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);

/** Sets an option that takes an untyped pointer (userdata, error buffer). */
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);

/** Sets an option that takes a string list (headers, recipients). */
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *list);

/** Sets CURLOPT_READFUNCTION. */
CURLcode ccurl_setopt_read_function(CURL *handle, ccurl_data_callback callback);

/** Sets CURLOPT_WRITEFUNCTION. */
CURLcode ccurl_setopt_write_function(CURL *handle, ccurl_data_callback callback);

/** A CURLOPT_OPENSOCKETFUNCTION callback: opens the socket for `address`, or refuses it. */
typedef curl_socket_t (*ccurl_opensocket_callback)(void *clientp, curlsocktype purpose, struct curl_sockaddr *address);

/** Sets CURLOPT_OPENSOCKETFUNCTION and its CURLOPT_OPENSOCKETDATA. */
CURLcode ccurl_setopt_opensocket_function(CURL *handle, ccurl_opensocket_callback callback, void *clientp);

/** CURL_SOCKET_BAD, the answer that refuses a connection. */
curl_socket_t ccurl_socket_bad(void);

/** Reads a transfer property that is a long, such as CURLINFO_RESPONSE_CODE. */
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
