//! `cargo +nightly fuzz run bundle_parse` — the body is `tipseal_fuzz::bundle_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::bundle_parse(data);
});
