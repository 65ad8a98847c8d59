//! `cargo +nightly fuzz run thread_batch_parse` — the body is `tipseal_fuzz::thread_batch_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tipseal_fuzz::thread_batch_parse(data);
});
