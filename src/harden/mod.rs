//! Overlay/diff step for one target: render with the hardened overlay added, compare with the
//! base render resource by resource, and re-check to prove what the overlay fixes.

pub mod diff;
pub mod fix;
pub mod overlay;
pub mod predict;
pub mod values_edit;

use crate::check::Finding;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::parse::Keep;
use crate::pipeline::{self, Checked, Job, JudgeValues, Rendered};
use crate::rules::Status;
use diff::{diff_renders, DiffOptions, ResourceDiff};
use overlay::Overlay;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Which overlay to apply.
#[derive(Debug, Clone, Default)]
pub struct OverlayChoice {
    /// `--overlay FILE`s of the user, in order.
    pub user: Vec<PathBuf>,
    /// `--overlay-add`: the user's files go on top of the generated overlay instead of replacing it.
    pub add_to_generated: bool,
    /// `--all`: the full hardened overlay rather than only the keys failures need.
    pub full: bool,
}

impl OverlayChoice {
    fn uses_generated(&self) -> bool {
        self.user.is_empty() || self.add_to_generated
    }
}

/// The overlay for a checked base render.
pub fn build_overlay(base: &Checked, choice: &OverlayChoice, config: &Config) -> Result<Overlay> {
    let mut overlay = if !choice.uses_generated() {
        Overlay::default()
    } else if choice.full {
        overlay::full(&base.report, &base.values, &base.proxies, config)
    } else {
        overlay::for_failures(&base.report)
    };
    for file in &choice.user {
        overlay.merge_file(file)?;
    }
    Ok(overlay)
}

/// Header comment lines of an overlay.
pub fn overlay_header(base: &Checked, overlay: &Overlay, choice: &OverlayChoice) -> Vec<String> {
    let version = base.report.chart.gloo_version.map(|v| format!(" {v}")).unwrap_or_default();
    let rules: BTreeSet<&String> = overlay
        .notes
        .values()
        .flatten()
        .filter(|n| n.as_str() != overlay::CARRIED_TRACING)
        .collect();
    let mut what = Vec::new();
    if choice.uses_generated() {
        what.push(format!("fixes {} rule(s) through values", rules.len()));
    }
    if !choice.user.is_empty() {
        // What the user's keys fix is known only after rendering with them: `diff` proves it.
        let files: Vec<String> = choice.user.iter().map(|p| p.display().to_string()).collect();
        let how = if choice.uses_generated() { "with" } else { "your overlay" };
        what.push(format!("{how} {} (`helm-harden diff` shows what it fixes)", files.join(", ")));
    }
    vec![
        format!("{}gloo{version}: {}.", overlay::HEADER_MARK, what.join(", ")),
        "Apply it after your own values: helm ... -f <your values> -f <this file>".to_string(),
    ]
}

/// A failure of the base render and what became of it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verdict {
    pub rule: String,
    pub object: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Proof {
    /// Base failures the overlay fixes.
    pub fixed: Vec<Verdict>,
    /// Base failures still failing, with the reason.
    pub remaining: Vec<Verdict>,
    /// Failures the overlay introduced (should never happen with the generated overlay).
    pub introduced: Vec<Verdict>,
    /// Results that need no change: not applicable or advisory.
    pub not_applicable: usize,
    pub advisory: usize,
}

fn key(f: &Finding) -> (String, String) {
    (f.rule.to_string(), format!("{}/{}", f.object.kind, f.object.name))
}

/// The failures of a render that count. Findings about the user's values files (VALUES-*) are
/// left out: they are judged once, with the base render, and an overlay can neither fix nor
/// keep a key of the user's file.
fn failing(c: &Checked) -> Vec<&Finding> {
    c.report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.suppressed.is_none())
        .filter(|f| !crate::rules::judges_the_values(f.rule))
        .collect()
}

/// Compares the failures of the base and hardened checks.
pub fn prove(base: &Checked, hardened: &Checked, choice: &OverlayChoice) -> Proof {
    let after: BTreeSet<(String, String)> = failing(hardened).into_iter().map(key).collect();
    let before: BTreeSet<(String, String)> = failing(base).into_iter().map(key).collect();
    let mut proof = Proof::default();
    for f in failing(base) {
        let (rule, object) = key(f);
        if !after.contains(&(rule.clone(), object.clone())) {
            proof.fixed.push(Verdict { rule, object, reason: None });
            continue;
        }
        let reason = match (&f.fix, choice.uses_generated()) {
            (None, _) if f.no_fix.is_some() => {
                format!("no values fix: {}", f.no_fix.as_deref().unwrap_or_default())
            }
            (None, _) => match base.report.chart.gloo_version {
                Some(v) => {
                    // A key the chart gained later: say from which version values fix it.
                    let from = crate::rules::find(f.rule).and_then(|r| r.first_fixable_after(v));
                    let later = from.map(|from| format!("; values fix it from gloo {from}"));
                    format!("not fixable through values on gloo {v}{}", later.unwrap_or_default())
                }
                None => "not fixable through values".to_string(),
            },
            (Some(_), true) => "still failing with the overlay applied".to_string(),
            (Some(_), false) => "your overlay does not fix it".to_string(),
        };
        proof.remaining.push(Verdict { rule, object, reason: Some(reason) });
    }
    for f in failing(hardened) {
        let (rule, object) = key(f);
        if !before.contains(&(rule.clone(), object.clone())) {
            proof.introduced.push(Verdict { rule, object, reason: Some(f.message.clone()) });
        }
    }
    proof.not_applicable = hardened.report.summary.na;
    proof.advisory = hardened.report.summary.advisory;
    proof
}

/// Everything `diff` shows for one target.
#[derive(Debug)]
pub struct Hardening {
    pub base: Checked,
    pub hardened: Checked,
    pub overlay: Overlay,
    pub diffs: Vec<ResourceDiff>,
    pub proof: Proof,
}

/// Renders the base and the hardened variant, diffs and re-checks. `renders_at_once` counts the
/// run's renders going out together, this target's two included: when they outnumber the
/// cores, the two share one helm process ([`crate::render::pair`]).
pub fn harden(
    job: &Job,
    choice: &OverlayChoice,
    config: &Config,
    today: &str,
    diff_opts: &DiffOptions,
    renders_at_once: usize,
) -> Result<Hardening> {
    if job.manifests.is_some() {
        return Err(Error::new(
            "diff needs a chart to render twice; --manifests gives only one render",
        ));
    }
    let (files, sets) = pipeline::load_values(job)?;
    let pair = crate::render::pair::worth_pairing(renders_at_once);
    // The base render checked whole (the diff compares it), refused when no rule applies.
    let check_base = |(stream, source): (String, String)| -> Result<Checked> {
        let docs = pipeline::parse(&stream, &source, Keep::Everything)?;
        let base = pipeline::check_docs(
            job,
            docs,
            files.clone(),
            sets.clone(),
            (config, today),
            JudgeValues::Yes,
        );
        pipeline::require_rules_apply(job, &base, &source)?;
        Ok(base)
    };
    // The hardened render checked on the thread that rendered it, beside the base's check.
    let check_hardened = |(stream, source): (String, String)| -> Result<Checked> {
        let docs = pipeline::parse(&stream, &format!("{source} (hardened)"), Keep::Everything)?;
        Ok(pipeline::check_docs(
            job,
            docs,
            files.clone(),
            sets.clone(),
            (config, today),
            JudgeValues::AlreadyJudged,
        ))
    };
    let (check_base, check_hardened, loaded) = (&check_base, &check_hardened, &files);
    let (base, overlay, hardened) = if choice.uses_generated() {
        // The generated overlay depends on the base's failures. To render both at once, the
        // hardened render starts from a predicted overlay (`crate::harden::predict`): the one this
        // target got last time, else on a cold cache what the chart's version fails at its
        // defaults and the keys the values weaken. Its render is kept only if this run's
        // overlay gives helm the same merged values, else the chart is rendered again with it.
        let target = target_identity(job, choice);
        let target: Vec<&[u8]> = target.iter().map(std::vec::Vec::as_slice).collect();
        // A prediction, where it comes from, and the text of the overlay file it is rendered
        // with. The remembered overlay is the file's text the kept render was made with, used
        // as it is: the same text keys the same stored render on the next run.
        let remembered = job
            .cache
            .as_ref()
            .and_then(|c| crate::render::cache::last_overlay(c, &target))
            .and_then(|text| Some((crate::harden::predict::parse(&text)?, "remembered", text)));
        // The prediction first (a millisecond or two: it reads the chart's values), then both
        // renders.
        let predicted = remembered.or_else(|| {
            let plain = !choice.full && choice.user.is_empty();
            plain.then(|| crate::harden::predict::cold(job, &files, &sets, config)).flatten().map(
                |p| {
                    let text = crate::harden::predict::to_yaml(&p);
                    (p, "cold", text)
                },
            )
        });
        let (overlay_file, unwritten) = match predicted.as_ref().map(|(_, _, t)| text_file(t)) {
            Some(Ok(tmp)) => (Some(tmp), None),
            Some(Err(e)) => (None, Some(Err(e))),
            None => (None, None),
        };
        let overlay_path = overlay_file.as_ref().map(tempfile::NamedTempFile::path);
        let (base, speculative) =
            render_and_check(job, loaded, overlay_path, pair, config, (check_base, check_hardened));
        let speculative = speculative.or(unwritten);
        let base = base?;
        let overlay = build_overlay(&base, choice, config)?;
        let text = overlay.to_yaml(&[]);
        let computed = serde_json::Value::Object(overlay.tree.clone());
        let hit = predicted.as_ref().filter(|(p, _, _)| {
            crate::harden::predict::same_merged_values(job, &files, &sets, p, &computed)
        });
        if std::env::var_os("HH_PREDICTION_LOG").is_some() {
            let (what, from) = match (&predicted, hit) {
                (None, _) => ("none", ""),
                (Some((_, from, _)), Some(_)) => ("hit", *from),
                (Some((_, from, _)), None) => ("miss", *from),
            };
            eprintln!("helm-harden: overlay prediction: {what} {from}");
        }
        // What the kept render was made with is remembered for the next run.
        let (hardened, rendered_with) =
            if let (Some((_, _, predicted_text)), Some(Ok(checked))) = (hit, speculative) {
                (checked, predicted_text.as_str())
            } else {
                let tmp = text_file(&text)?;
                (
                    check_hardened(pipeline::render_stream(job, &[tmp.path().to_path_buf()])?)?,
                    text.as_str(),
                )
            };
        if let Some(c) = &job.cache {
            crate::render::cache::remember_overlay(c, &target, rendered_with);
        }
        (base, overlay, hardened)
    } else {
        // The user's own overlay is known up front: both renders run at once.
        let overlay = {
            let mut o = Overlay::default();
            for file in &choice.user {
                o.merge_file(file)?;
            }
            o
        };
        let tmp = text_file(&overlay.to_yaml(&[]))?;
        let (base, hardened) = render_and_check(
            job,
            loaded,
            Some(tmp.path()),
            pair,
            config,
            (check_base, check_hardened),
        );
        let hardened = hardened.expect("an overlay file gives a hardened render");
        let base = base?;
        (base, overlay, hardened?)
    };
    let diffs = diff_renders(&base.docs, &hardened.docs, diff_opts);
    let proof = prove(&base, &hardened, choice);
    Ok(Hardening { base, hardened, overlay, diffs, proof })
}

/// The base render and, with `overlay`, the hardened one, at once (one helm process for both
/// when `pair`), each checked as soon as it is in; the schema work starts after the renders (on
/// two cores, work started before the second helm holds it back).
fn render_and_check<B, H>(
    job: &Job,
    loaded: &[crate::parse::values::ValuesFile],
    overlay: Option<&std::path::Path>,
    pair: bool,
    config: &Config,
    (check_base, check_hardened): (&B, &H),
) -> (Result<Checked>, Option<Result<Checked>>)
where
    B: Fn((String, String)) -> Result<Checked> + Sync,
    H: Fn((String, String)) -> Result<Checked> + Sync,
{
    std::thread::scope(|s| match overlay {
        Some(overlay) if pair => {
            let renders = s.spawn(|| pipeline::render_pair(job, loaded, &[overlay.to_path_buf()]));
            pipeline::warm_schemas(job, config);
            let (base, hardened) = joined_pair(renders);
            let hardened = s.spawn(move || hardened.and_then(check_hardened));
            let base = base.and_then(check_base);
            (base, Some(joined(hardened, "the hardened render")))
        }
        _ => {
            let base = s.spawn(|| pipeline::render_stream(job, &[]).and_then(check_base));
            let hardened = overlay.map(|overlay| {
                s.spawn(move || {
                    pipeline::render_stream(job, &[overlay.to_path_buf()]).and_then(check_hardened)
                })
            });
            pipeline::warm_schemas(job, config);
            let base = joined(base, "the base render");
            (base, hardened.map(|h| joined(h, "the hardened render")))
        }
    })
}

/// A render thread's result; its panic as an error naming `what`.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>, what: &str) -> Result<T> {
    handle.join().unwrap_or_else(|_| Err(Error::new(format!("{what} crashed"))))
}

/// [`joined`] for [`pipeline::render_pair`].
fn joined_pair(
    handle: std::thread::ScopedJoinHandle<'_, (Rendered, Rendered)>,
) -> (Rendered, Rendered) {
    handle.join().unwrap_or_else(|_| {
        let crashed = || Err(Error::new("the render crashed"));
        (crashed(), crashed())
    })
}

/// The overlay as a private temporary values file for helm.
fn text_file(yaml: &str) -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix("helm-harden-overlay-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| Error::new(format!("cannot create a temporary overlay file: {e}")))?;
    std::io::Write::write_all(&mut tmp, yaml.as_bytes())
        .map_err(|e| Error::new(format!("cannot write the temporary overlay: {e}")))?;
    // Written once, now: its render need not wait for its key (see `written_once`).
    crate::render::cache::written_once(tmp.path());
    Ok(tmp)
}

/// What identifies a target across runs for the overlay prediction: the chart, helm's render
/// arguments other than values, and the overlay choice. Values may change between runs.
fn target_identity(job: &Job, choice: &OverlayChoice) -> Vec<Vec<u8>> {
    let chart =
        std::fs::canonicalize(&job.request.chart).unwrap_or_else(|_| job.request.chart.clone());
    vec![
        b"overlay-v1".to_vec(),
        chart.display().to_string().into_bytes(),
        job.request.release.clone().unwrap_or_default().into_bytes(),
        job.request.namespace.clone().unwrap_or_default().into_bytes(),
        job.request.kube_version.clone().unwrap_or_default().into_bytes(),
        job.label.clone().unwrap_or_default().into_bytes(),
        vec![u8::from(choice.full), u8::from(choice.add_to_generated)],
        choice
            .user
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    ]
}

/// The proof as text lines.
pub fn proof_text(h: &Hardening) -> String {
    use std::fmt::Write;
    let p = &h.proof;
    let total = p.fixed.len() + p.remaining.len();
    let mut out = format!("The overlay fixes {} of {} failures", p.fixed.len(), total);
    if let Some(v) = h.base.report.chart.gloo_version {
        write!(out, " (gloo {v})").ok();
    }
    out.push_str(":\n");
    let clean = crate::escape::terminal;
    for v in &p.fixed {
        writeln!(out, "  fixed     {:<9} {}", v.rule, clean(&v.object)).ok();
    }
    for (label, verdicts) in [("remains", &p.remaining), ("NEW", &p.introduced)] {
        for v in verdicts {
            let reason = clean(v.reason.as_deref().unwrap_or(""));
            writeln!(out, "  {label:<9} {:<9} {}: {reason}", v.rule, clean(&v.object)).ok();
        }
    }
    writeln!(
        out,
        "  ({} not applicable and {} advisory results need no change)",
        p.not_applicable, p.advisory
    )
    .ok();
    out
}

/// The proof as a markdown table.
pub fn proof_markdown(h: &Hardening) -> String {
    use crate::escape::markdown as esc;
    use std::fmt::Write;
    let p = &h.proof;
    let mut out = format!("**The overlay fixes {} of {} failures.**\n\n| | rule | object | note |\n|---|---|---|---|\n", p.fixed.len(), p.fixed.len() + p.remaining.len());
    for v in &p.fixed {
        writeln!(out, "| fixed | {} | {} | |", v.rule, esc(&v.object)).ok();
    }
    for v in p.remaining.iter().chain(&p.introduced) {
        writeln!(
            out,
            "| remains | {} | {} | {} |",
            v.rule,
            esc(&v.object),
            esc(v.reason.as_deref().unwrap_or(""))
        )
        .ok();
    }
    out
}

/// The diff and proof as JSON (`version` 1).
pub fn to_json(target: Option<&str>, h: &Hardening) -> serde_json::Value {
    let mut v = serde_json::json!({
        "version": 1,
        "chart": {
            "name": h.base.report.chart.name,
            "version": h.base.report.chart.gloo_version.map(|v| v.to_string()),
        },
        "resources": h.diffs,
        "fixed": h.proof.fixed,
        "remaining": h.proof.remaining,
        "introduced": h.proof.introduced,
    });
    if let Some(t) = target {
        v["target"] = serde_json::json!(t);
    }
    v
}
