//! `spin build`: run every component's `[component.<id>.build]` commands.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::manifest::LoadedManifest;

/// Runs each component's build commands with `sh -c` in its `workdir` (relative to the
/// manifest directory), in manifest order; stops at the first failure.
pub fn build_app(manifest: &Path) -> Result<()> {
    let loaded = LoadedManifest::load(manifest)?;
    let mut built = 0;
    for (id, component) in &loaded.manifest.components {
        let Some(build) = &component.build else {
            continue;
        };
        let workdir = match &build.workdir {
            Some(w) => loaded.dir.join(w),
            None => loaded.dir.clone(),
        };
        for command in build.commands() {
            eprintln!("Building component {id} with `{command}`");
            eprintln!("Working directory: {}", workdir.display());
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&workdir)
                .status()
                .with_context(|| format!("failed to start `{command}` for component {id}"))?;
            if !status.success() {
                bail!("Build command for component {id} failed with status {status}");
            }
        }
        built += 1;
    }
    if built == 0 {
        eprintln!("None of the components have a build command.");
    } else {
        eprintln!("Finished building all Spin components");
    }
    Ok(())
}
