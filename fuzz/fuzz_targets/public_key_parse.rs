//! `cargo +nightly fuzz run public_key_parse` — the body is `tipseal_fuzz::public_key_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::public_key_parse(data);
});
