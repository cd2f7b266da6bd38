//! `helm-harden overlay`, `diff` and `fix`: the hardened overlay, its render diff, and the fixes
//! written into the user's values files.

use super::args::{DiffArgs, DiffFormat, FixArgs, OverlayArgs};
use super::{overlay_choice, run_inputs, setup, use_color};
use crate::error::{Error, Result};
use crate::harden;
use crate::harden::diff::Between;
use crate::pipeline;
use crate::report;
use crate::rules::Severity;

pub(super) fn overlay_command(args: OverlayArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    if args.write.is_some() && jobs.len() > 1 {
        return Err(Error::new("--write takes one target; give a CHART"));
    }
    let choice = overlay_choice(&args.overlay, args.all);
    let overlays = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        let base = pipeline::run_job(job, &config, &today)?;
        let overlay = harden::build_overlay(&base, &choice, &config)?;
        let mut header = harden::overlay_header(&base, &overlay, &choice);
        if let Some(label) = &job.label {
            header.insert(0, format!("target {label}"));
        }
        Ok((overlay.to_yaml(&header), header))
    })?;
    let text: String = overlays.iter().map(|(yaml, _)| yaml.as_str()).collect();
    match &args.write {
        Some(path) => {
            let inputs = run_inputs(&config, &jobs, &args.overlay.overlay);
            crate::harden::overlay::write_new(path, &text, args.force, &inputs)?;
            // Say what was written, and how to use it: a silent success leaves the user to
            // open the file to learn whether anything was fixed.
            let what: Vec<&str> = overlays
                .iter()
                .flat_map(|(_, header)| header.iter().map(String::as_str))
                .filter(|line| !line.starts_with("Apply it"))
                .collect();
            println!(
                "wrote {}: {}\napply it after your own values: helm ... -f <your values> -f {}",
                path.display(),
                crate::escape::terminal(&what.join(" ")),
                path.display()
            );
        }
        None => report::output::print(&text)?,
    }
    Ok(0)
}

pub(super) fn diff_command(args: DiffArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let choice = overlay_choice(&args.overlay, args.all);
    let opts = args.diff.options()?;
    let base = args.base.as_deref().map(|rev| crate::gate::compare::LazyBaseTree::new(rev, &jobs));
    let at_once = args.chart.jobs_at_once();
    let renders = pipeline::renders_at_once(jobs.len(), at_once, 2 + usize::from(base.is_some()));
    let pairs = crate::render::pair::worth_pairing(renders);
    let results = pipeline::map_jobs(&jobs, at_once, |job| {
        // The base render goes out with the head's two.
        let (hardening, change) = std::thread::scope(|s| {
            let change = base.as_ref().map(|lazy| {
                s.spawn(|| {
                    crate::render::pair::yield_to_pair(pairs);
                    crate::gate::compare::check_base(lazy.get()?, job, (&config, &today), true)
                        .map(|base| base.docs)
                })
            });
            let hardening = harden::harden(job, &choice, &config, &today, &opts, renders);
            let change = change
                .map(|h| h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed"))));
            (hardening, change)
        });
        let hardening = hardening?;
        let change = match change {
            Some(base_docs) => {
                Some(crate::harden::diff::diff_change(&base_docs?, &hardening.base.docs, &opts))
            }
            None => None,
        };
        Ok((job.label.clone(), hardening, change))
    })?;
    let since = match &base {
        Some(lazy) => lazy.get()?.0.name.as_str(),
        None => "",
    };
    let output = match args.format {
        DiffFormat::Text => results
            .iter()
            .map(|(label, h, change)| {
                let head = label.as_ref().map(|l| format!("== {l} ==\n")).unwrap_or_default();
                let change = change.as_ref().map_or(String::new(), |diffs| {
                    format!(
                        "Change since {since}:\n\n{}\nDiff with the hardened overlay:\n\n",
                        crate::harden::diff::render_text(
                            diffs,
                            Between::Change,
                            use_color(args.color)
                        )
                    )
                });
                format!(
                    "{head}{change}{}\n{}",
                    crate::harden::diff::render_text(
                        &h.diffs,
                        Between::Hardened,
                        use_color(args.color)
                    ),
                    harden::proof_text(h)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        DiffFormat::Markdown => results
            .iter()
            .map(|(_, h, change)| {
                let change = change.as_ref().map_or(String::new(), |diffs| {
                    format!(
                        "### Change since {}\n\n{}\n### Diff with the hardened overlay\n\n",
                        crate::escape::markdown(since),
                        crate::harden::diff::render_markdown(diffs, Between::Change)
                    )
                });
                format!(
                    "{change}{}\n{}",
                    crate::harden::diff::render_markdown(&h.diffs, Between::Hardened),
                    harden::proof_markdown(h)
                )
            })
            .collect(),
        DiffFormat::Json => {
            let docs: Vec<serde_json::Value> = results
                .iter()
                .map(|(label, h, change)| {
                    let mut doc = harden::to_json(label.as_deref(), h);
                    if let Some(diffs) = change {
                        doc["change"] = serde_json::json!({"base": since, "resources": diffs});
                    }
                    doc
                })
                .collect();
            let value = match docs.as_slice() {
                [one] => one.clone(),
                _ => serde_json::json!({"version": 1, "reports": docs}),
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    let output =
        if args.format == DiffFormat::Json { crate::escape::json_text(output) } else { output };
    report::output::print(&output)?;
    let changed = results.iter().any(|(_, h, _)| !h.diffs.is_empty());
    Ok(i32::from(args.exit_code && changed))
}

pub(super) fn fix_command(args: FixArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let min = args.severity.map_or(Severity::Info, Severity::from);
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let mut out = String::new();
    let mut left_at_threshold = 0;
    // One target after another: targets that share a values file see each other's edits.
    for job in &jobs {
        let fixed = crate::harden::fix::fix_job(job, (&config, &today), min)?;
        if let Some(label) = &job.label {
            out.push_str(&format!("== {label} ==\n"));
        }
        for (path, before, after) in &fixed.changes {
            out.push_str(&crate::harden::fix::unified_diff(path, before, after));
            if !args.dry_run {
                crate::report::output::write_atomically(
                    path,
                    after,
                    "cannot write the fixed values",
                    &[],
                )?;
            }
        }
        let (gone, left) = crate::harden::fix::fixed_and_left(&fixed, min);
        let verb = if args.dry_run { "would fix" } else { "fixed" };
        let files = fixed.changes.len();
        out.push_str(&format!(
            "{verb} {} failure(s) in {files} file(s){}\n",
            gone.len(),
            if files == 0 { " (nothing a values line can fix)" } else { "" }
        ));
        for line in &gone {
            out.push_str(&format!("  {verb}: {}\n", crate::escape::terminal(line)));
        }
        if !left.is_empty() {
            out.push_str(&format!("left {} failure(s):\n", left.len()));
            for line in &left {
                out.push_str(&format!("  left: {}\n", crate::escape::terminal(line)));
            }
        }
        let review = crate::harden::fix::review_before_applying(&fixed, min);
        if !review.is_empty() {
            out.push_str(&format!(
                "{} (these fixes change how traffic is handled):\n",
                crate::harden::overlay::REVIEW_BEFORE_APPLYING
            ));
            for (rule, note, keys) in &review {
                out.push_str(&format!("  {rule}: {}\n", crate::escape::terminal(note)));
                for key in keys {
                    out.push_str(&format!("    {}\n", crate::escape::terminal(key)));
                }
            }
        }
        for (rule, object, flag) in &fixed.set_by_flag {
            out.push_str(&format!(
                "  {rule} {object}: its key is set by {flag}; not edited\n",
                flag = crate::escape::terminal(flag)
            ));
        }
        left_at_threshold += fixed.after.failing_at(threshold);
    }
    report::output::print(&out)?;
    Ok(i32::from(left_at_threshold > 0))
}
