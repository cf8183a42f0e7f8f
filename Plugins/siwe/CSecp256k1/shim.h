/* Debian's libsecp256k1 (libsecp256k1-dev) with its ECDSA public-key recovery module. The flag
   macros do not import into Swift, so they are wrapped here. */
#include <secp256k1.h>
#include <secp256k1_recovery.h>

static inline secp256k1_context *gh_secp256k1_verify_context(void) {
    return secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
}

static inline unsigned int gh_secp256k1_uncompressed(void) { return SECP256K1_EC_UNCOMPRESSED; }
