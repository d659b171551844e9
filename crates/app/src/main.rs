//! The `carethread` command: see `carethread --help`.

fn main() -> std::process::ExitCode {
    carethread::cli::main()
}
