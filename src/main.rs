//! The `tipseal` binary: parses the command line and hands over to `tipseal::cli`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tipseal::cli::Cli::parse();
    match tipseal::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipseal: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
