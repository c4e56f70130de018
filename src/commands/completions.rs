//! `drtui completions SHELL`: a shell completion script generated from the CLI definition.
//! Generated from the same clap definition as `--help`, so it never drifts from the flags.

use clap::CommandFactory;
use color_eyre::eyre::Result;

use crate::cli::Cli;
use crate::exit::Exit;

pub fn run(shell: clap_complete::Shell) -> Result<Exit> {
    clap_complete::generate(shell, &mut Cli::command(), "drtui", &mut std::io::stdout());
    Ok(Exit::Ok)
}
