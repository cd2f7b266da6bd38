//! The command line: a thin layer over render → parse → check → report.

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::pipeline::{self, Inputs};
use crate::report;
use crate::rules::{self, Severity};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "helm-harden", version, about = "Gate Helm changes to the Gloo Edge gateway: render the chart, check every production-hardening point, and point at the values line that fixes each failure.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart with your values and check every hardening point.
    Check(CheckArgs),
    /// List the rules, or explain one (`helm-harden rules GLOO-001`).
    Rules(RulesArgs),
}

/// Chart, values and helm arguments, in helm's own terms.
#[derive(Debug, Args, Clone, Default)]
pub struct ChartArgs {
    /// Chart directory or packaged `.tgz`. Default: the config's targets, else the chart in the
    /// current directory.
    pub chart: Option<PathBuf>,
    /// Values file (repeatable; later files win, as in helm).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set a value (`key=value`, repeatable), as `helm --set`.
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
    /// Set a string value, as `helm --set-string`.
    #[arg(long = "set-string", value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Namespace to render into.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Release name (default: helm's).
    #[arg(long)]
    pub release: Option<String>,
    /// Kubernetes version for `Capabilities.KubeVersion`.
    #[arg(long = "kube-version", value_name = "V")]
    pub kube_version: Option<String>,
    /// helm binary (default: $HELM_BIN, then PATH).
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
    /// Kill helm (and its children) after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,
    /// Check a pre-rendered manifest stream instead of running helm (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub manifests: Option<PathBuf>,
    /// Largest render accepted, in MiB.
    #[arg(long = "max-render-mb", value_name = "MIB", default_value_t = 512)]
    pub max_render_mb: usize,
    /// Config file (default: `.helm-harden.yaml` found upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ChartArgs {
    pub fn inputs(&self) -> Inputs {
        Inputs {
            chart: self.chart.clone(),
            values: self.values.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            namespace: self.namespace.clone(),
            release: self.release.clone(),
            kube_version: self.kube_version.clone(),
            helm: self.helm.clone(),
            timeout_secs: self.timeout,
            manifests: self.manifests.clone(),
            max_render_mb: self.max_render_mb,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also report passes, NA (with the reason) and advisories.
    #[arg(long)]
    pub all: bool,
    /// Exit 1 when a failure of this severity or higher remains (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule ID to explain.
    pub id: Option<String>,
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// Runs the CLI and returns the exit code: 0 clean, 1 failures at/above the threshold, 2 error.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
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
        Command::Check(args) => check_command(args),
    }
}

fn rules_command(args: RulesArgs) -> Result<i32> {
    let text = match (&args.id, args.format) {
        (Some(id), _) => {
            let rule = rules::find(id).ok_or_else(|| Error::new(format!("unknown rule ID {id} (see `helm-harden rules`)")))?;
            crate::docs::explain(rule)
        }
        (None, RulesFormat::Text) => crate::docs::list(),
        (None, RulesFormat::Markdown) => crate::docs::markdown_table(),
    };
    print_out(&text)?;
    Ok(0)
}

fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(format!("cannot write output: {e}"))),
    }
}

fn check_command(args: CheckArgs) -> Result<i32> {
    let cwd = std::env::current_dir().map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    let config = Config::discover(args.chart.config.as_deref(), &cwd)?;
    let today = config::today();
    let jobs = pipeline::plan(&args.chart.inputs(), &config, &cwd)?;
    let mut reports = Vec::new();
    for job in &jobs {
        reports.push(pipeline::run_job(job, &config, &today)?.report);
    }
    let threshold: Severity = args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let output = match args.format {
        Format::Json => report::json::render(&reports, args.all),
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
            };
            report::text::render(&reports, args.all, report::text::Style { color })
        }
    };
    print_out(&output)?;
    let failing: usize = reports.iter().map(|r| r.failing_at(threshold)).sum();
    Ok(if failing > 0 { 1 } else { 0 })
}

