//! The render cache through the CLI: hits skip helm, any changed input misses, and two runs at
//! once leave one whole entry. helm is wrapped by a script that logs every call.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Setup {
    tmp: tempfile::TempDir,
    helm: PathBuf,
    chart: PathBuf,
    values: PathBuf,
    cache: PathBuf,
}

fn setup() -> Option<Setup> {
    let real = common::helm_or_skip()?;
    let tmp = tempfile::tempdir().unwrap();
    let helm = common::logging_helm(tmp.path(), &real, None);
    let chart = tmp.path().join("gloo");
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &chart);
    let values = tmp.path().join("prod.yaml");
    std::fs::copy(root().join("fixtures/values/weak.yaml"), &values).unwrap();
    let cache = tmp.path().join("cache");
    Some(Setup { tmp, helm, chart, values, cache })
}

impl Setup {
    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_helm-harden"));
        c.arg("check")
            .arg(&self.chart)
            .arg("-f")
            .arg(&self.values)
            .args(["-n", "gloo-system", "--color", "never", "--helm"])
            .arg(&self.helm)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(extra);
        c
    }
    fn run(&self, extra: &[&str]) -> Output {
        let out = self.command(extra).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "weak values fail the check; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    fn renders(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.cache.join("renders"))
            .map(|r| r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

#[test]
fn hit_miss_and_invalidation() {
    let Some(s) = setup() else { return };
    let dir = s.tmp.path();
    let first = s.run(&[]);
    assert_eq!(common::templates_run(dir), 1, "cold cache: helm renders");
    assert_eq!(s.renders().len(), 1);

    let second = s.run(&[]);
    assert_eq!(common::templates_run(dir), 1, "warm cache: helm does not render again");
    assert_eq!(
        second.stdout, first.stdout,
        "a cached render reports exactly what a fresh one does"
    );
    let log = std::fs::read_to_string(dir.join("helm.log")).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.starts_with("version")).count(),
        1,
        "helm's version is remembered too: {log}"
    );

    s.run(&["--no-cache"]);
    assert_eq!(common::templates_run(dir), 2, "--no-cache renders");
    assert_eq!(s.renders().len(), 1, "--no-cache does not write");

    std::fs::write(
        &s.values,
        std::fs::read_to_string(&s.values).unwrap().replace("replicas: 1", "replicas: 2"),
    )
    .unwrap();
    s.run(&[]);
    assert_eq!(common::templates_run(dir), 3, "changed values: miss");

    std::fs::write(s.chart.join("templates/NOTES.txt"), "a new file in the chart\n").unwrap();
    s.run(&[]);
    assert_eq!(common::templates_run(dir), 4, "changed chart: miss");

    std::fs::create_dir_all(s.chart.join("charts/dep")).unwrap();
    std::fs::write(
        s.chart.join("charts/dep/Chart.yaml"),
        "apiVersion: v2\nname: dep\nversion: 0.1.0\n",
    )
    .unwrap();
    s.run(&[]);
    assert_eq!(common::templates_run(dir), 5, "a dependency under charts/ is chart content: miss");

    s.run(&["--set", "gloo.deployment.replicas=3"]);
    assert_eq!(common::templates_run(dir), 6, "--set: miss");

    s.run(&[]);
    assert_eq!(common::templates_run(dir), 6, "back to known inputs: hit");

    // Another helm version (the binary changed on disk): its version is asked again, and renders miss.
    common::logging_helm(dir, &common::helm().unwrap(), Some("v9.9.9+gfake"));
    s.run(&[]);
    assert_eq!(common::templates_run(dir), 7, "changed helm version: miss");
    s.run(&[]);
    assert_eq!(common::templates_run(dir), 7, "same new version: hit");
}

#[test]
fn two_concurrent_runs_both_succeed_and_leave_one_whole_entry() {
    let Some(s) = setup() else { return };
    let a = s.command(&[]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let b = s.command(&[]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!((a.status.code(), b.status.code()), (Some(1), Some(1)));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(s.renders().len(), 1, "one entry, no temporary files left: {:?}", s.renders());
    let before = common::templates_run(s.tmp.path());
    let c = s.run(&[]);
    assert_eq!(common::templates_run(s.tmp.path()), before, "the entry they left is whole: a hit");
    assert_eq!(c.stdout, a.stdout);
}

/// `check --diff` run again with nothing changed starts no helm: the hardened render is found
/// under the overlay text it was made with, whether that was the overlay computed from the
/// first render (the fixture chart has no cold prediction) or the one predicted for a real Gloo
/// chart's version (kept, so no third render).
#[test]
fn a_second_diff_with_nothing_changed_renders_nothing() {
    let Some(s) = setup() else { return };
    let dir = s.tmp.path();
    s.run(&["--diff"]);
    let cold = common::templates_run(dir);
    assert_eq!(cold, 2, "the base render and the hardened one");
    s.run(&["--diff"]);
    assert_eq!(common::templates_run(dir), cold, "warm: both renders are stored");

    let Some(real) = common::real_chart("1.17.38") else { return };
    let log = std::fs::read_to_string(dir.join("helm.log")).unwrap_or_default();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_helm-harden"))
            .arg("check")
            .arg(&real)
            .args(["-n", "gloo-system", "--diff", "--helm"])
            .arg(&s.helm)
            .arg("--cache-dir")
            .arg(&s.cache)
            .args(extra)
            .env("HH_PREDICTION_LOG", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = run(&[]);
    assert!(first.contains("overlay prediction: hit cold"), "{first}");
    let after_first = common::templates_run(dir);
    assert_eq!(after_first - log.lines().filter(|l| l.starts_with("template")).count(), 2);
    let second = run(&[]);
    assert!(second.contains("overlay prediction: hit remembered"), "{second}");
    assert_eq!(
        common::templates_run(dir),
        after_first,
        "warm: the predicted render is found again"
    );
}
