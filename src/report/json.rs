//! `--format json`: a stable, documented shape (version 1).
//!
//! ```json
//! {"version":1,"chart":{"name","version","path"},"findings":[{"rule","severity","status","title",
//!  "message","object":{"apiVersion","kind","name","namespace","template","embedded_in","line"},
//!  "fix":{"values_path","value","file","line","exact"} | null}],
//!  "summary":{"fail","pass","na","advisory","suppressed"}}
//! ```
//! With `--base REF`, each failure has `"change": "new"|"existing"` and the report a
//! `"comparison": {"base", "counts": {"new","fixed","existing"}, "fixed": [findings], "notes"}`.
//! `findings` holds the failures (suppressed ones included, marked `suppressed`); with `--all`
//! also passes, NA (with the reason in `message`) and advisories. Several targets print one
//! document with a `reports` array of the above.

use crate::check::{CheckReport, Finding, Warning};
use crate::rules::Status;
use serde::Serialize;
use serde_json::Value;

/// The report document; field order is the documented order.
#[derive(Serialize)]
pub struct ReportJson<'a> {
    version: u32,
    chart: ChartJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    findings: Vec<&'a Finding>,
    summary: crate::check::Summary,
    #[serde(skip_serializing_if = "<[Warning]>::is_empty")]
    warnings: &'a [Warning],
    /// `--base`: what the change does to the failures (each failure also has `change`).
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<ComparisonJson<'a>>,
}

#[derive(Serialize)]
struct ComparisonJson<'a> {
    base: &'a str,
    counts: crate::check::Counts,
    fixed: &'a [Finding],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
struct ChartJson {
    name: Option<String>,
    version: Option<String>,
    path: Option<String>,
}

/// Typed, so large reports serialise straight to text without an intermediate JSON tree.
pub fn report_json(report: &CheckReport, all: bool) -> ReportJson<'_> {
    ReportJson {
        version: 1,
        chart: ChartJson {
            name: report.chart.name.clone(),
            version: report.chart.gloo_version.map(|v| v.to_string()),
            path: report.chart.path.as_ref().map(|p| p.display().to_string()),
        },
        target: report.target.as_deref(),
        findings: report.findings.iter().filter(|f| all || f.status == Status::Fail).collect(),
        summary: report.summary,
        warnings: &report.warnings,
        comparison: report.comparison.as_deref().map(|c| ComparisonJson {
            base: &c.base,
            counts: c.counts,
            fixed: &c.fixed,
            notes: &c.notes,
        }),
    }
}

/// The report as a JSON value (for callers that add fields, e.g. `check --diff`).
pub fn report_value(report: &CheckReport, all: bool) -> Value {
    serde_json::to_value(report_json(report, all)).unwrap_or(Value::Null)
}

/// Writes the report (or reports) as JSON to `out`, as [`render`] would print it.
pub fn write(
    out: &mut dyn std::io::Write,
    reports: &[CheckReport],
    all: bool,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Many<'a> {
        version: u32,
        reports: Vec<ReportJson<'a>>,
    }
    let mut out = crate::escape::JsonTextWriter::new(out);
    match reports {
        [one] => serde_json::to_writer_pretty(&mut out, &report_json(one, all)),
        many => serde_json::to_writer_pretty(
            &mut out,
            &Many { version: 1, reports: many.iter().map(|r| report_json(r, all)).collect() },
        ),
    }
    .map_err(std::io::Error::other)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    std::io::Write::flush(&mut out)
}

pub fn render(reports: &[CheckReport], all: bool) -> String {
    #[derive(Serialize)]
    struct Many<'a> {
        version: u32,
        reports: Vec<ReportJson<'a>>,
    }
    let mut out = match reports {
        [one] => serde_json::to_string_pretty(&report_json(one, all)),
        many => serde_json::to_string_pretty(&Many {
            version: 1,
            reports: many.iter().map(|r| report_json(r, all)).collect(),
        }),
    }
    .unwrap_or_default();
    out.push('\n');
    out
}
