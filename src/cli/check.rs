//! `helm-harden check`: render, check and report each target; compare with a base or a baseline.

use super::args::{CheckArgs, Format, GroupBy, OverlayFlags};
use super::{overlay_choice, run_inputs, setup, use_color};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::harden;
use crate::pipeline;
use crate::report;
use crate::rules::Severity;
use std::path::{Path, PathBuf};

pub(super) fn check_command(args: CheckArgs) -> Result<i32> {
    if args.fail_on_new && args.base.is_none() && args.baseline.is_none() {
        return Err(Error::new(
            "--fail-on-new needs --base REF or --baseline FILE: what is new is told against one",
        ));
    }
    // An input of the run: no file it writes (--sarif-file) may replace it.
    let baseline_inputs: Vec<PathBuf> = args.baseline.iter().cloned().collect();
    let (config, today, jobs) = setup(&args.chart)?;
    let at_once = args.chart.jobs_at_once();
    // `--base`: each target's base render goes out with its head's (two with `--diff`).
    let base_tree =
        args.base.as_deref().map(|rev| crate::gate::compare::LazyBaseTree::new(rev, &jobs));
    let base = base_tree.as_ref();
    let (reports, hardenings, bases) = if args.values_only {
        let reports = pipeline::map_jobs(&jobs, at_once, |job| {
            pipeline::check_values_only(job, &config, &today)
        })?;
        (reports, Vec::new(), Vec::new())
    } else if args.diff {
        // One pass: the base check comes from the same render the diff starts from.
        let options = args.diff_flags.options()?;
        let choice = overlay_choice(&OverlayFlags::default(), false);
        let renders =
            pipeline::renders_at_once(jobs.len(), at_once, 2 + usize::from(base.is_some()));
        let pairs = crate::render::pair::worth_pairing(renders);
        let both = pipeline::map_jobs(&jobs, at_once, |job| {
            with_base(base, job, (&config, &today), (true, pairs), || {
                harden::harden(job, &choice, &config, &today, &options, renders)
            })
        })?;
        let (hardenings, bases): (Vec<_>, Vec<_>) = both.into_iter().unzip();
        (hardenings.iter().map(|h| h.base.report.clone()).collect(), hardenings, bases)
    } else {
        let both = pipeline::map_jobs(&jobs, at_once, |job| {
            // The base's render and the head's: nothing pairs.
            with_base(base, job, (&config, &today), (false, false), || {
                Ok(pipeline::run_job(job, &config, &today)?.into_report())
            })
        })?;
        let (reports, bases): (Vec<_>, Vec<_>) = both.into_iter().unzip();
        (reports, Vec::new(), bases)
    };
    let mut reports = reports;
    if let Some(lazy) = &base_tree {
        let (tree, _) = lazy.get()?;
        for (i, (report, base)) in reports.iter_mut().zip(bases.into_iter().flatten()).enumerate() {
            compare_with_base(report, base, &tree.name, hardenings.get(i));
        }
    }
    compare_with_baseline(&mut reports, args.baseline.as_deref())?;
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    if args.format == Format::Json && hardenings.is_empty() {
        // Streamed: a report of a very large render is never held in memory as text.
        let inputs = run_inputs(&config, &jobs, &baseline_inputs);
        return finish(&args, &reports, &hardenings, &inputs, threshold, || {
            report::output::write_stdout(|out| report::json::write(out, &reports, args.all))
        });
    }
    let output = match args.format {
        Format::Json => {
            let mut docs: Vec<serde_json::Value> =
                reports.iter().map(|r| report::json::report_value(r, args.all)).collect();
            for (doc, h) in docs.iter_mut().zip(&hardenings) {
                doc["diff"] = harden::to_json(None, h);
            }
            let value = match docs.as_slice() {
                [one] => one.clone(),
                _ => serde_json::json!({"version": 1, "reports": docs}),
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let mut text = report::text::render(
                &reports,
                args.all,
                report::text::Style {
                    color: use_color(args.color),
                    quiet: args.quiet.then_some(threshold),
                    by_rule: args.group_by == GroupBy::Rule,
                },
            );
            for (h, report) in hardenings.iter().zip(&reports) {
                if let Some(c) = report.comparison.as_ref().filter(|c| !c.change.is_empty()) {
                    text.push_str(&format!(
                        "Change since {}:\n\n",
                        crate::escape::terminal(&c.base)
                    ));
                    text.push_str(&crate::harden::diff::render_text(
                        &c.change,
                        crate::harden::diff::Between::Change,
                        use_color(args.color),
                    ));
                    text.push('\n');
                }
                text.push_str("Diff with the hardened overlay:\n\n");
                text.push_str(&crate::harden::diff::render_text(
                    &h.diffs,
                    crate::harden::diff::Between::Hardened,
                    use_color(args.color),
                ));
                text.push('\n');
                text.push_str(&harden::proof_text(h));
            }
            text
        }
        Format::Sarif => report::sarif::render(&reports),
        Format::Github => report::github::render(&reports),
        Format::Junit => report::junit::render(&reports),
    };
    let output =
        if args.format == Format::Json { crate::escape::json_text(output) } else { output };
    let inputs = run_inputs(&config, &jobs, &baseline_inputs);
    finish(&args, &reports, &hardenings, &inputs, threshold, || report::output::print(&output))
}

/// `--baseline FILE`: each report against its target's known failures.
pub(super) fn compare_with_baseline(
    reports: &mut [crate::check::CheckReport],
    file: Option<&Path>,
) -> Result<()> {
    let Some(file) = file else { return Ok(()) };
    let baseline = crate::gate::baseline::Baseline::load(file)?;
    let name = format!("baseline {}", file.display());
    for report in reports {
        baseline.compare(report, &name);
    }
    Ok(())
}

/// Runs `head` for one target and, with `--base`, checks the target as it is at the base on a
/// thread beside it, so that both renders go out at once (`keep_docs` for the change's diff;
/// `beside_pair` when the head's renders pair, see [`crate::render::pair::yield_to_pair`]).
fn with_base<T: Send>(
    base: Option<&crate::gate::compare::LazyBaseTree>,
    job: &pipeline::Job,
    judge: (&Config, &str),
    (keep_docs, beside_pair): (bool, bool),
    head: impl FnOnce() -> Result<T>,
) -> Result<(T, Option<crate::gate::compare::BaseSide>)> {
    std::thread::scope(|s| {
        let base = base.map(|lazy| {
            s.spawn(move || {
                crate::render::pair::yield_to_pair(beside_pair);
                crate::gate::compare::check_base(lazy.get()?, job, judge, keep_docs)
            })
        });
        let head = head()?;
        let base = base
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed"))))
            .transpose()?;
        Ok((head, base))
    })
}

/// `--base REF`: compares a target's report with its base; with the head's hardening
/// (`--diff`), also what the change does to the render.
fn compare_with_base(
    report: &mut crate::check::CheckReport,
    mut base: crate::gate::compare::BaseSide,
    base_name: &str,
    hardening: Option<&harden::Hardening>,
) {
    let base_docs = std::mem::take(&mut base.docs);
    crate::gate::compare::compare_with(report, base, base_name);
    if let (Some(h), Some(comparison)) = (hardening, report.comparison.as_mut()) {
        comparison.change = crate::harden::diff::diff_change(
            &base_docs,
            &h.base.docs,
            &crate::harden::diff::DiffOptions::default(),
        );
    }
}

/// The warnings (a suppression that matched nothing) of formats that do not show them: JSON,
/// SARIF and JUnit keep stdout for the document, so each warning is one line on stderr, once however
/// many targets share the config. Text prints them after the reports (on stderr with
/// `--quiet`), github as annotations.
pub(super) fn print_warnings(format: Format, quiet: bool, reports: &[crate::check::CheckReport]) {
    if matches!(format, Format::Json | Format::Sarif | Format::Junit)
        || (quiet && format == Format::Text)
    {
        for w in report::warnings(reports) {
            eprintln!("warning: {}", crate::escape::terminal(&w.to_string()));
        }
    }
}

/// `--sarif-file` and the job summary, written before anything is printed so that a failure
/// to write them exits 2 with nothing on stdout.
/// `inputs`: the files the run read, which the SARIF file must not replace.
/// The end of every check: the files the GitHub flags ask for, the warnings, the report on
/// stdout (`print`), and the exit code by the gate.
fn finish(
    args: &CheckArgs,
    reports: &[crate::check::CheckReport],
    hardenings: &[harden::Hardening],
    inputs: &[&Path],
    threshold: Severity,
    print: impl FnOnce() -> Result<()>,
) -> Result<i32> {
    write_github_outputs(args, reports, hardenings, inputs)?;
    print_warnings(args.format, args.quiet, reports);
    print()?;
    let failing = crate::gate::compare::gate(reports, threshold, args.fail_on_new);
    Ok(i32::from(failing > 0))
}

pub(super) fn write_github_outputs(
    args: &CheckArgs,
    reports: &[crate::check::CheckReport],
    hardenings: &[harden::Hardening],
    inputs: &[&Path],
) -> Result<()> {
    if let Some(path) = &args.github.sarif_file {
        report::sarif::write_file(path, &report::sarif::render(reports), inputs)?;
    }
    if args.format == Format::Github || args.github.step_summary {
        match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
            Some(path) => {
                report::summary::append(std::path::Path::new(&path), reports, hardenings)?;
            }
            None if args.github.step_summary => eprintln!(
                "warning: --step-summary: $GITHUB_STEP_SUMMARY is not set; no job summary written"
            ),
            None => {}
        }
    }
    Ok(())
}
