# Sourced by build.sh, bench.sh and soak.sh. Every bundled plugin (add a new one here), and those
# of them a build does not enable: they change every sign-in or every user, cannot work
# without credentials, or (console) serve pages an operator chooses to expose.
bundled=(bearer jwt two-factor passkey siwe organization audit-log sso scim webhooks stripe magic-link email-otp one-time-token anonymous admin username multi-session oauth-provider console)
not_enabled_by_default=(webhooks stripe anonymous multi-session oauth-provider console)

# Whether the plugin `$1` is in the default set (enabled by a first build).
enabled_by_default() { [[ " ${not_enabled_by_default[*]} " != *" $1 "* ]]; }
