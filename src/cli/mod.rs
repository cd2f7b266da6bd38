//! The command line: a thin layer over render → parse → check → report.

pub mod args;
mod check;
mod gate;
mod hardened;

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::harden;
use crate::pipeline;
use crate::rules;
use args::{
    ChartArgs, Cli, Color, Command, HookArgs, HookCommand, OverlayFlags, RulesArgs, RulesFormat,
};
use clap::Parser;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if e.use_stderr()
                && e.kind() != clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            // A usage mistake is an error like any other: one line, exit 2.
            let rendered = e.render().to_string();
            let lines: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let text = lines.join(" ");
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprintln!("error: {} (see --help)", crate::escape::terminal(text));
            return 2;
        }
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Rules(args) => rules_command(args),
        Command::Check(args) => check::check_command(args),
        Command::Overlay(args) => hardened::overlay_command(args),
        Command::Diff(args) => hardened::diff_command(args),
        Command::Baseline(args) => gate::baseline_command(args),
        Command::Fix(args) => hardened::fix_command(args),
        Command::Review(args) => crate::github::command::run(args),
        Command::Hook(HookArgs { command: HookCommand::Run(args) }) => gate::hook_run_command(args),
        Command::Hook(HookArgs { command: HookCommand::Install }) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
            let path = crate::gate::hook::install(&cwd)?;
            println!("installed {}", path.display());
            Ok(0)
        }
        Command::Init(args) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
            let files = crate::gate::init::generate(&cwd, &args.repo)?;
            if args.write {
                for line in crate::gate::init::write(&cwd, &files)? {
                    println!("{line}");
                }
            } else {
                crate::report::output::print(&crate::gate::init::to_text(&files))?;
            }
            Ok(0)
        }
    }
}

fn rules_command(args: RulesArgs) -> Result<i32> {
    let text = match (&args.id, args.format) {
        (Some(id), format) => {
            let rule = rules::find(id).ok_or_else(|| {
                Error::new(format!("unknown rule ID {id} (see `helm-harden rules`)"))
            })?;
            match format {
                RulesFormat::Text => crate::docs::explain(rule),
                RulesFormat::Markdown => crate::docs::explain_markdown(rule),
            }
        }
        (None, RulesFormat::Text) => crate::docs::list(),
        (None, RulesFormat::Markdown) => crate::docs::markdown_table(),
    };
    crate::report::output::print(&text)?;
    Ok(0)
}

fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Config, today's date and the jobs for a command.
fn setup(chart: &ChartArgs) -> Result<(Config, String, Vec<pipeline::Job>)> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    let config = chart.config(&cwd)?;
    let jobs = pipeline::plan(&chart.inputs(), &config, &cwd)?;
    Ok((config, config::today(), jobs))
}

/// The files a run reads (values, `--overlay`, config and `--manifests` files), which a file it
/// writes must never replace.
fn run_inputs<'a>(
    config: &'a Config,
    jobs: &'a [pipeline::Job],
    overlays: &'a [PathBuf],
) -> Vec<&'a Path> {
    let job_files = jobs.iter().flat_map(|job| job.request.values.iter().chain(&job.manifests));
    job_files.chain(overlays).chain(&config.path).map(PathBuf::as_path).collect()
}

fn overlay_choice(flags: &OverlayFlags, all: bool) -> harden::OverlayChoice {
    harden::OverlayChoice {
        user: flags.overlay.clone(),
        add_to_generated: flags.overlay_add,
        full: all,
    }
}
