//! `cargo +nightly fuzz run keyring_parse` — the body is `tipseal_fuzz::keyring_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::keyring_parse(data);
});
