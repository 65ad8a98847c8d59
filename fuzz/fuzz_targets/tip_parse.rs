//! `cargo +nightly fuzz run tip_parse` — the body is `tipseal_fuzz::tip_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::tip_parse(data);
});
