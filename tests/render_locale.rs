//! helm-harden starts the helm binary in the language whose kubectl message catalogue is the
//! cheapest to load (`render::HELM_LANGUAGE`, see `render::helm_env`). That is only sound if
//! helm prints the same bytes in any language: its renders and its errors. Checked with the
//! real helm binary on every real-world values file with the chart its README names (through an
//! umbrella chart where it says so; helm refuses some of them, and its error is compared) and on
//! the fixture charts.

mod common;

use helm_harden::render::HELM_LANGUAGE;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

/// `helm template` of `chart` with `values`, as (exit code, stdout, stderr), in the language
/// `lc_all` names, or in the user's (this process's, without LC_ALL) when None.
fn template(helm: &Path, chart: &Path, values: &[PathBuf], lc_all: Option<&str>) -> Output {
    let mut c = Command::new(helm);
    c.args(["template", "gloo"]).arg(chart).args(["--namespace", "gloo-system"]);
    for v in values {
        c.arg("--values").arg(v);
    }
    c.env_remove("LC_ALL").env_remove("LC_MESSAGES");
    if let Some(language) = lc_all {
        c.env("LC_ALL", language);
    }
    let out = c.output().expect("helm runs");
    (out.status.code(), out.stdout, out.stderr)
}

type Output = (Option<i32>, Vec<u8>, Vec<u8>);

/// Whether helm printed the same in both languages; panics with the difference if not.
fn same_in_both_languages(helm: &Path, chart: &Path, values: &[PathBuf]) -> bool {
    let users = template(helm, chart, values, None);
    let ours = template(helm, chart, values, Some(HELM_LANGUAGE));
    let what = format!("{} with {values:?}", chart.display());
    assert_eq!(users.0, ours.0, "{what}: exit code");
    assert!(users.1 == ours.1, "{what}: the render differs in {HELM_LANGUAGE}");
    assert_eq!(
        String::from_utf8_lossy(&users.2),
        String::from_utf8_lossy(&ours.2),
        "{what}: helm's messages differ in {HELM_LANGUAGE}"
    );
    users.0 == Some(0)
}

#[test]
fn helm_prints_the_same_renders_and_errors_in_the_language_it_is_started_in() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (mut rendered, mut refused) = (0, 0);
    if common::shared_charts().is_some() {
        for &(number, version, through_umbrella) in common::REALWORLD.iter() {
            let chart = common::realworld_chart(tmp.path(), version, through_umbrella);
            let values = common::realworld(number).expect("real-world values file");
            if same_in_both_languages(&helm, &chart, &[values]) {
                rendered += 1;
            } else {
                refused += 1;
            }
        }
        // The README: helm refuses 6 of the 34 on their chart (values of the wrong type).
        assert!(rendered >= 26 && refused >= 1, "{rendered} rendered, {refused} refused");
    } else {
        common::skip("../shared/charts is absent: the fixture charts only");
    }
    let weak = fixture("values/weak.yaml");
    for chart in ["charts/gloo-mini", "charts/umbrella"] {
        assert!(
            same_in_both_languages(&helm, &fixture(chart), std::slice::from_ref(&weak)),
            "{chart}"
        );
    }
    // A template that fails: helm's own error.
    let broken = tmp.path().join("broken.yaml");
    std::fs::write(&broken, "gatewayProxies: 5\n").unwrap();
    assert!(!same_in_both_languages(&helm, &fixture("charts/gloo-mini"), &[broken]));
}
