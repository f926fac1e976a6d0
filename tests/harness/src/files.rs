//! A component's `files`, copied into a private directory that the guest sees read-only at `/`,
//! the way `spin up` copies them (its default, non-`--direct-mounts` mode).
//!
//! A string entry is a path or glob relative to the manifest directory and appears at the same
//! relative path under `/`; `{ source, destination }` places a file or directory at an absolute
//! guest path. `exclude_files` globs (relative to the manifest directory) are skipped.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::manifest::{Component, FilesMount};

/// Copies `component`'s files under `root`; returns false if it has none.
pub fn stage(manifest_dir: &Path, component: &Component, root: &Path) -> Result<bool> {
    if component.files.is_empty() {
        return Ok(false);
    }
    let excludes = component
        .exclude_files
        .iter()
        .map(|p| glob::Pattern::new(p).with_context(|| format!("invalid exclude_files glob {p:?}")))
        .collect::<Result<Vec<_>>>()?;
    let stager = Stager {
        app_root: manifest_dir,
        excludes: &excludes,
    };
    std::fs::create_dir_all(root)?;
    for mount in &component.files {
        match mount {
            FilesMount::Pattern(pattern) => stager.pattern(pattern, root)?,
            FilesMount::Placement {
                source,
                destination,
            } => {
                let src = manifest_dir.join(source);
                let dest = root.join(destination.trim_start_matches('/'));
                if src.is_dir() {
                    stager.glob(&src.join("**/*"), &src, &dest)?;
                } else if src.is_file() {
                    copy(&src, &dest)?;
                } else {
                    bail!("file mount source {source:?} does not exist");
                }
            }
        }
    }
    Ok(true)
}

struct Stager<'a> {
    app_root: &'a Path,
    excludes: &'a [glob::Pattern],
}

impl Stager<'_> {
    fn pattern(&self, pattern: &str, root: &Path) -> Result<()> {
        if pattern == ".." || pattern.ends_with("/..") || pattern == "." || pattern.ends_with("/.")
        {
            bail!("A file pattern can't end in a directory path ({pattern:?}); use source-destination form or a glob ending in **/*");
        }
        let path = self.app_root.join(pattern);
        if path.is_dir() {
            self.glob(&path.join("**/*"), self.app_root, root)
        } else if path.is_file() {
            copy(&path, &root.join(pattern))
        } else if glob::Pattern::escape(pattern) != pattern {
            self.glob(&path, self.app_root, root)
        } else {
            bail!("{pattern:?} does not exist and doesn't appear to be a glob pattern")
        }
    }

    fn glob(&self, pattern: &Path, src_prefix: &Path, dest_root: &Path) -> Result<()> {
        let pattern = pattern.to_str().context("non-UTF-8 file pattern")?;
        std::fs::create_dir_all(dest_root)?;
        for entry in glob::glob(pattern).with_context(|| format!("bad glob {pattern:?}"))? {
            let src: PathBuf = entry?;
            if !src.is_file() {
                continue;
            }
            let in_app = src.strip_prefix(self.app_root).with_context(|| {
                format!("{} is outside the application directory", src.display())
            })?;
            if self.excludes.iter().any(|p| p.matches_path(in_app)) {
                continue;
            }
            copy(&src, &dest_root.join(src.strip_prefix(src_prefix)?))?;
        }
        Ok(())
    }
}

fn copy(src: &Path, dest: &Path) -> Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(src, dest)
        .with_context(|| format!("failed to copy {} to {}", src.display(), dest.display()))?;
    Ok(())
}
