// STUB: replaced by the vendored libsodium-wrappers-sumo.
