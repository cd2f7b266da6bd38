//! Predicates and walks that several rules share (each module names its rules). A rule file
//! imports from here and from [`super::helpers`], never from another rule file.

pub(super) mod access_log;

pub(super) mod kube_stats;
pub(super) mod leader_election;
pub(super) mod limits;
pub(super) mod pdb;
pub(super) mod probes;
pub(super) mod replicas;
pub(super) mod requests;
pub(super) mod runtime;
pub(super) mod security_context;
pub(super) mod timeouts;
pub(super) mod upstreams;
pub(super) mod validation;
