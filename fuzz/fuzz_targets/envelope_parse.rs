//! `cargo +nightly fuzz run envelope_parse` — the body is `tipseal_fuzz::envelope_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::envelope_parse(data);
});
