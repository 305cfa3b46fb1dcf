//! The `citygrid` binary: the command line in [`cli`], errors printed as one line.
#![forbid(unsafe_code)]

mod cli;

/// Errors are printed as one line of causes (`what: why: why`), never as a backtrace.
fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    match cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("citygrid: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
