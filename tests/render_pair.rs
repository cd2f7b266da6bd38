//! Two renders in one helm process (`render::pair`): what it gives must be, byte for byte, what
//! helm gives each render alone, or the reviewer reads a diff helm would not make. Checked on
//! every real-world values file with the chart its README names (through an umbrella chart
//! where it says so), on the fixture charts, and through the CLI with and without a pair.

mod common;

use helm_harden::render::pair::PairPlan;
use helm_harden::render::{render, RenderRequest};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

/// The hardening keys of `fixtures/values` as an overlay file, under `gloo:` for an umbrella.
fn overlay(dir: &Path, version: &str, umbrella: bool) -> PathBuf {
    let name = if version.starts_with("1.13") { "hardened-1.13.yaml" } else { "hardened.yaml" };
    let text = std::fs::read_to_string(fixture(&format!("values/{name}"))).unwrap();
    let text = if umbrella {
        let nested: Vec<String> = text
            .lines()
            .map(|l| if l.is_empty() { String::new() } else { format!("  {l}") })
            .collect();
        format!("gloo:\n{}\n", nested.join("\n"))
    } else {
        text
    };
    let path = dir.join(format!("overlay-{version}-{umbrella}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// What the two renders give alone and as a pair. Some(has documents): both alone and the
/// pair's two halves are the same; None: helm refuses the values alone, and the pair is
/// refused too (the caller then renders alone, for helm's own error). Panics on any other
/// outcome.
fn pair_matches(helm: &Path, head: &RenderRequest, extra: &Path) -> Option<bool> {
    let hardened = RenderRequest {
        values: [head.values.clone(), vec![extra.into()]].concat(),
        ..head.clone()
    };
    let plan = PairPlan::new(head, &hardened, &[]).expect("a plain chart and values files pair");
    let paired = render(helm, &plan.request).ok().and_then(|stream| plan.split(&stream));
    let name = head.values.first().map(|v| v.display().to_string()).unwrap_or_default();
    match (render(helm, head), render(helm, &hardened), paired) {
        (Ok(alone), Ok(hardened_alone), Some((head_half, hardened_half))) => {
            assert!(head_half == alone, "{name}: the head's half differs from its render alone");
            assert!(
                hardened_half == hardened_alone,
                "{name}: the hardened half differs from its render alone"
            );
            Some(alone.contains("kind: Deployment"))
        }
        (Err(_), _, None) | (_, Err(_), None) => None,
        (alone, hardened_alone, paired) => panic!(
            "{name}: alone {:?} / {:?}, paired {}",
            alone.err(),
            hardened_alone.err(),
            if paired.is_some() { "rendered" } else { "refused" }
        ),
    }
}

fn request(chart: PathBuf, values: Vec<PathBuf>) -> RenderRequest {
    RenderRequest {
        chart,
        release: Some("gloo".into()),
        namespace: Some("gloo-system".into()),
        values,
        ..RenderRequest::default()
    }
}

#[test]
fn a_pair_splits_into_the_renders_of_every_real_world_values_file_alone() {
    let Some(helm) = common::helm_or_skip() else { return };
    if common::shared_charts().is_none() {
        common::skip("../shared/charts is absent");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut same, mut empty) = (0, 0);
    for &(number, version, through_umbrella) in common::REALWORLD.iter() {
        let chart = common::realworld_chart(tmp.path(), version, through_umbrella);
        let values = common::realworld(number).expect("real-world values file");
        let extra = overlay(tmp.path(), version, through_umbrella);
        match pair_matches(&helm, &request(chart, vec![values]), &extra) {
            Some(true) => same += 1,
            Some(false) => empty += 1, // the umbrella's `gloo.enabled: false`
            None => {}
        }
    }
    // The README: helm itself refuses 6 of the 34 on their chart (values of the wrong type).
    assert!(same + empty >= 26, "only {same} + {empty} of {} compared", common::REALWORLD.len());
    assert!(same >= 24, "only {same} renders with a Deployment compared");
}

#[test]
fn a_pair_splits_into_the_fixture_renders_alone_with_crds_and_several_files() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mini = fixture("charts/gloo-mini");
    let weak = fixture("values/weak.yaml");
    let extra = overlay(tmp.path(), "1.17", false);
    // Two files merged in order, a comment-only file, and the umbrella's packaged dependency.
    let comments = tmp.path().join("comments.yaml");
    std::fs::write(&comments, "# nothing set here\n").unwrap();
    let both = request(mini.clone(), vec![weak.clone(), comments]);
    assert_eq!(pair_matches(&helm, &both, &extra), Some(true));
    let mut with_crds = request(mini, vec![weak]);
    with_crds.include_crds = true;
    assert_eq!(pair_matches(&helm, &with_crds, &extra), Some(true));
    let umbrella_extra = overlay(tmp.path(), "1.17", true);
    let umbrella = request(fixture("charts/umbrella"), vec![fixture("values/weak.yaml")]);
    assert_eq!(pair_matches(&helm, &umbrella, &umbrella_extra), Some(true));
    if let Some(real) = common::real_chart("1.17.38") {
        // The real chart has a .helmignore of file names: it goes to the wrapper.
        assert!(real.join(".helmignore").is_file());
        let mut crds = request(real, vec![fixture("values/weak.yaml")]);
        crds.include_crds = true;
        assert_eq!(pair_matches(&helm, &crds, &extra), Some(true));
    }
}

/// A cache directory's entries: file name and content, sorted.
fn entries(cache: &Path) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = std::fs::read_dir(cache.join("renders"))
        .unwrap()
        .flatten()
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    entries.sort();
    entries
}

/// `check --diff --format json` of the fixture chart, cold, with or without a pair; returns
/// stdout and the cache's entries (file name and content).
fn check_diff(helm: &Path, cache: &Path, pair: &str) -> (String, Vec<(String, String)>) {
    let _ = std::fs::remove_dir_all(cache);
    check_diff_with(helm, cache, pair)
}

/// [`check_diff`] with the cache as it is.
fn check_diff_with(helm: &Path, cache: &Path, pair: &str) -> (String, Vec<(String, String)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_helm-harden"))
        .arg("check")
        .arg(fixture("charts/gloo-mini"))
        .args(["-n", "gloo-system", "--release", "gloo", "--diff", "--format", "json"])
        .arg("-f")
        .arg(fixture("values/weak.yaml"))
        .arg("--helm")
        .arg(helm)
        .arg("--cache-dir")
        .arg(cache)
        .env("HELM_HARDEN_PAIR_RENDERS", pair)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), entries(cache))
}

#[test]
fn a_paired_diff_reports_and_stores_what_renders_alone_do() {
    let Some(helm) = common::helm_or_skip() else { return };
    // The cache keys a render by the helm binary itself (a wrapper or shim is not paired).
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (alone, alone_entries) = check_diff(&helm, &cache, "0");
    let (paired, paired_entries) = check_diff(&helm, &cache, "1");
    assert!(alone.contains("\"resources\""), "{alone}");
    assert_eq!(paired, alone, "the same report and diff");
    assert_eq!(alone_entries.len(), 2, "the base render and the hardened one");
    assert_eq!(paired_entries, alone_entries, "each render stored under its own key");
}

/// A paired diff on a warm cache starts no helm: the halves the cold run's pair stored are found
/// under the keys the renders have alone. The helm binary is a copy whose execute bits are taken
/// away after the cold run (its identity for the cache, path, size, mtime and inode, stays): a run
/// that started it would fail.
#[test]
fn a_warm_paired_diff_is_served_without_helm() {
    use std::os::unix::fs::PermissionsExt;
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("bin/helm");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&helm, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = tmp.path().join("cache");
    let (cold, stored) = check_diff(&copy, &cache, "1");
    assert_eq!(stored.len(), 2, "the pair's two halves");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (warm, still_stored) = check_diff_with(&copy, &cache, "1");
    assert_eq!(warm, cold, "the same report and diff");
    assert_eq!(still_stored, stored, "nothing more stored");
}

/// The cache's pair path itself: on a cold cache it renders the pair (a fallback to two renders
/// alone would return None) and stores each half under the key and with the content the render
/// alone gets.
#[test]
fn a_cold_cache_stores_a_pair_as_the_two_renders_alone() {
    use helm_harden::render::cache::{self, CacheSettings};
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let head = request(fixture("charts/gloo-mini"), vec![fixture("values/weak.yaml")]);
    let extra = overlay(tmp.path(), "1.17", false);
    let hardened = RenderRequest { values: vec![head.values[0].clone(), extra], ..head.clone() };
    let settings = |name: &str| CacheSettings { dir: tmp.path().join(name), max_bytes: 1 << 30 };
    let paired = settings("paired");
    let plan = || PairPlan::new(&head, &hardened, &[]);
    let (head_half, hardened_half) =
        cache::render_pair(Some(&paired), &helm, &head, &hardened, plan)
            .expect("rendered as a pair");
    cache::finish(); // the pair's keys are worked out after it, and stored before exit
    let alone = settings("alone");
    assert_eq!(cache::render(Some(&alone), &helm, &head).unwrap(), head_half);
    assert_eq!(cache::render(Some(&alone), &helm, &hardened).unwrap(), hardened_half);
    cache::finish();
    let stored = entries(&paired.dir);
    assert_eq!(stored.len(), 2, "both halves stored");
    assert_eq!(stored, entries(&alone.dir), "under the keys and with the content of each alone");
}
