//! `helm-harden baseline` and `hook run`: the local gate's commands.

use super::args::{BaselineArgs, HookRunArgs};
use super::check::compare_with_baseline;
use super::{run_inputs, setup, use_color};
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::pipeline::{self, Inputs};
use crate::report;
use crate::rules::Severity;
use std::path::Path;

pub(super) fn baseline_command(args: BaselineArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let reports = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        Ok(pipeline::run_job(job, &config, &today)?.into_report())
    })?;
    let text = crate::gate::baseline::Baseline::of(&reports).to_json();
    match &args.write {
        Some(path) => {
            crate::harden::overlay::write_new(
                path,
                &text,
                args.force,
                &run_inputs(&config, &jobs, &[]),
            )?;
            let count: usize = reports.iter().map(|r| r.failing_at(Severity::Info)).sum();
            eprintln!("wrote {} ({count} known failure(s))", path.display());
        }
        None => report::output::print(&text)?,
    }
    Ok(0)
}

/// `hook run`: map the changed (or staged) files to targets and check only those.
pub(super) fn hook_run_command(args: HookRunArgs) -> Result<i32> {
    // The staged tree must outlive the checks: it is where they read the files.
    let staged = if args.staged { crate::gate::hook::export_staged()? } else { None };
    let files = match &staged {
        Some(tree) => {
            std::env::set_current_dir(tree.dir.path())
                .map_err(|e| Error::new(format!("cannot enter the staged tree: {e}")))?;
            tree.files.clone()
        }
        None if args.staged => return Ok(0), // nothing staged
        None => {
            let mut files = args.files.clone();
            for deleted in crate::gate::hook::staged_deletions() {
                if !files.contains(&deleted) {
                    files.push(deleted);
                }
            }
            files
        }
    };
    let root = std::path::Path::new(".");
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None if root.join(config::FILE_NAME).is_file() => {
            Config::load(std::path::Path::new(config::FILE_NAME))?
        }
        None => Config::default(),
    };
    let inputs = Inputs {
        namespace: args.namespace.clone(),
        helm: args.helm.clone(),
        timeout_secs: args.timeout,
        max_render_mb: 512,
        cache: args.cache.settings(),
        // Without targets, every chart of the repository whose files changed is a candidate,
        // Gloo or not (an app chart beside it): one without Gloo is left out with a note below,
        // not refused. A target the config names must render Gloo.
        allow_no_gloo: config.targets.is_empty(),
        ..Inputs::default()
    };
    let plan = crate::gate::hook::plan_changed(&files, &config, root, &inputs)?;
    for note in &plan.notes {
        eprintln!("helm-harden: {note}");
    }
    if plan.jobs.is_empty() {
        return Ok(0);
    }
    let today = config::today();
    let mut reports = Vec::new();
    for job in &plan.jobs {
        let report = pipeline::run_job(job, &config, &today)?.into_report();
        if !report.applies {
            let chart = job.chart.as_deref().unwrap_or(Path::new(".")).display().to_string();
            let what = job.label.clone().unwrap_or(chart);
            eprintln!("helm-harden: {what}: no hardening rule applies to its render (no Gloo in it); not checked");
            continue;
        }
        reports.push(report);
    }
    if reports.is_empty() {
        return Ok(0);
    }
    compare_with_baseline(&mut reports, args.baseline.as_deref())?;
    report::output::print(&report::text::render(
        &reports,
        false,
        report::text::Style { color: use_color(args.color), ..Default::default() },
    ))?;
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let failing = crate::gate::compare::gate(&reports, threshold, args.fail_on_new);
    Ok(i32::from(failing > 0))
}
