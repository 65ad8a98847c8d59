//! `cargo +nightly fuzz run envelope_open` — the body is `tipseal_fuzz::envelope_open`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::envelope_open(data);
});
