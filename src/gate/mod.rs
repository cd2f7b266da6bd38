//! The local and pull-request gate around a check: the pre-commit [`hook`] and the targets it
//! [`discover`]s, [`init`] of a repository's config, and a change judged against its base:
//! the base's files from git ([`base_ref`]), failures [`compare`]d as new, fixed or existing,
//! and a committed [`baseline`] for runs where no base ref applies.

pub mod base_ref;
pub mod baseline;
pub mod compare;
pub mod discover;
pub mod hook;
pub mod init;
