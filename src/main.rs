//! The `shortfall` command; see `shortfall --help` and the README.

fn main() -> std::process::ExitCode {
    shortfall::cli::main()
}
