/* Debian's libqrencode (libqrencode-dev): QR code symbols for the TOTP enrolment page. */
#include <qrencode.h>
