//! Switchboard's split step: the program trunk runs as `wasm-bindgen`.
//!
//! trunk 0.21 runs cargo, then wasm-bindgen, with no hook in between (trunk-rs/trunk issue
//! 1022), and a module can only be split before wasm-bindgen rewrites it. So `scripts/env.sh`
//! puts this program first on PATH as `.tools/bin/wasm-bindgen` (`scripts/install.sh` builds
//! it), and for trunk's call it:
//! 1. splits cargo's module (linked with `--emit-relocs`: `.cargo/config.toml`) at the page's
//!    split points (`#[wasm_split]`, see `src/lazy.rs`) with `wasm_split_cli_support`;
//! 2. runs the real wasm-bindgen on the first-load part, keeping the exports the chunks link to
//!    (`--keep-lld-exports --no-demangle`);
//! 3. writes the chunks' loader to `snippets/split-<hash>/link.js` (trunk copies `snippets/`
//!    and preloads it with the page) and the chunks, through `wasm-opt -Oz` in release, to
//!    `split-chunks/split-<hash>/`, which the `post_build` hook in `Trunk.toml` copies next to
//!    the loader (not into `snippets/`: trunk would preload every chunk at start).
//!
//! `<hash>` is the hash trunk names the page's files with (seahash of cargo's module), so the
//! loader imports the page's script by its exact name, and a new build never mixes with an
//! old one's chunks. Any other call (`--version`) goes to the real wasm-bindgen unchanged.

use std::env;
use std::fs;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// What trunk asked wasm-bindgen for.
struct Call {
    input: PathBuf,
    out_dir: PathBuf,
    out_name: String,
    /// Every argument but the input, passed on to the real wasm-bindgen.
    flags: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let real = match real_wasm_bindgen() {
        Ok(real) => real,
        Err(problem) => return fail(&problem),
    };
    let Some(call) = parse_call(&args) else {
        return pass_through(&real, &args);
    };
    match split_and_bind(&real, &call) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => fail(&problem),
    }
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("switchboard split step: {problem}");
    ExitCode::FAILURE
}

/// The real wasm-bindgen: `SWITCHBOARD_WASM_BINDGEN`, or the next `wasm-bindgen` on PATH that
/// is not this program.
fn real_wasm_bindgen() -> Result<PathBuf, String> {
    if let Some(path) = env::var_os("SWITCHBOARD_WASM_BINDGEN") {
        return Ok(PathBuf::from(path));
    }
    let me = env::current_exe().and_then(fs::canonicalize).ok();
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .map(|dir| dir.join("wasm-bindgen"))
        .find(|candidate| {
            candidate.is_file() && fs::canonicalize(candidate).ok().as_ref() != me.as_ref()
        })
        .ok_or_else(|| {
            "no wasm-bindgen on PATH besides this split step: run scripts/install.sh".to_string()
        })
}

fn pass_through(real: &Path, args: &[String]) -> ExitCode {
    match Command::new(real).args(args).status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => fail(&format!("could not run {}: {error}", real.display())),
    }
}

/// trunk's call (`--target=web --out-dir=D --out-name=N input.wasm ...`), or None for any other.
fn parse_call(args: &[String]) -> Option<Call> {
    let mut input = None;
    let mut out_dir = None;
    let mut out_name = None;
    let mut flags = Vec::new();
    for arg in args {
        if let Some(dir) = arg.strip_prefix("--out-dir=") {
            out_dir = Some(PathBuf::from(dir));
        } else if let Some(name) = arg.strip_prefix("--out-name=") {
            out_name = Some(name.to_string());
        } else if !arg.starts_with('-') && arg.ends_with(".wasm") {
            input = Some(PathBuf::from(arg));
            continue;
        }
        flags.push(arg.clone());
    }
    Some(Call {
        input: input?,
        out_dir: out_dir?,
        out_name: out_name?,
        flags,
    })
}

fn split_and_bind(real: &Path, call: &Call) -> Result<(), String> {
    let module = fs::read(&call.input)
        .map_err(|e| format!("could not read {}: {e}", call.input.display()))?;
    let hash = trunk_hash(&module);
    let split_name = format!("split-{hash}");
    let work = call.out_dir.join("split-work");
    let chunks_dir = call.out_dir.join("split-chunks").join(&split_name);
    let loader_dir = call.out_dir.join("snippets").join(&split_name);
    // Nothing of an earlier build may be copied with this one.
    remove_earlier_splits(&call.out_dir)?;
    let work_loader_dir = work.join("snippets").join(&split_name);
    for dir in [&work_loader_dir, &chunks_dir, &loader_dir] {
        fs::create_dir_all(dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    }

    let first_load = work.join(format!("{}.wasm", call.out_name));
    // Relative to the page's script (where wasm-bindgen writes its import of the loader)...
    let link_name = format!("./snippets/{split_name}/link.js");
    // ...and the page's script relative to the loader, by the name trunk gives it.
    let main_module = format!("../../{}-{hash}.js", call.out_name);
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&module);
        options.output_dir = &work;
        options.main_out_path = &first_load;
        options.link_name = &link_name;
        options.main_module = &main_module;
        options.target.web();
        options
    })
    .map_err(|e| format!("splitting {} failed: {e:#}", call.input.display()))?;

    let status = Command::new(real)
        .args(&call.flags)
        .arg("--keep-lld-exports")
        .arg("--no-demangle")
        .arg(&first_load)
        .status()
        .map_err(|e| format!("could not run {}: {e}", real.display()))?;
    if !status.success() {
        return Err(format!(
            "{} failed on the first-load module",
            real.display()
        ));
    }

    let release = call.out_dir.ends_with("release");
    for chunk in &split.split_modules {
        let Some(file_name) = chunk.file_name() else {
            continue;
        };
        let target = chunks_dir.join(file_name);
        if release {
            optimise(chunk, &target)?;
        } else {
            fs::copy(chunk, &target)
                .map_err(|e| format!("could not copy {}: {e}", chunk.display()))?;
        }
    }
    let loader = work.join(&link_name);
    fs::copy(&loader, loader_dir.join("link.js"))
        .map_err(|e| format!("could not copy {}: {e}", loader.display()))?;
    fs::remove_dir_all(&work).map_err(|e| format!("could not remove {}: {e}", work.display()))?;
    eprintln!(
        "switchboard split step: {} chunk(s) in split-chunks/{split_name}",
        split.split_modules.len()
    );
    Ok(())
}

/// The hash trunk 0.21 puts in the page's file names: seahash of cargo's module, in hex.
fn trunk_hash(module: &[u8]) -> String {
    let mut hasher = seahash::SeaHasher::new();
    hasher.write(module);
    format!("{:x}", hasher.finish())
}

/// Removes `split-chunks/` and `snippets/split-*` left by an earlier build.
fn remove_earlier_splits(out_dir: &Path) -> Result<(), String> {
    let chunks = out_dir.join("split-chunks");
    if chunks.exists() {
        fs::remove_dir_all(&chunks)
            .map_err(|e| format!("could not remove {}: {e}", chunks.display()))?;
    }
    let snippets = out_dir.join("snippets");
    let Ok(entries) = fs::read_dir(&snippets) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("split-") {
            fs::remove_dir_all(entry.path())
                .map_err(|e| format!("could not remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// `wasm-opt -Oz`, as trunk runs it on the first-load module (`data-wasm-opt="z"`).
fn optimise(chunk: &Path, target: &Path) -> Result<(), String> {
    let status = Command::new("wasm-opt")
        .arg("-Oz")
        .arg(chunk)
        .arg("-o")
        .arg(target)
        .status()
        .map_err(|e| format!("could not run wasm-opt (scripts/install.sh installs it): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wasm-opt failed on {}", chunk.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn trunks_call_is_split_and_its_flags_passed_on() {
        let args = strings(&[
            "--target=web",
            "--out-dir=/p/target/wasm-bindgen/release",
            "--out-name=switchboard",
            "/p/target/wasm32-unknown-unknown/release/switchboard.wasm",
            "--no-typescript",
        ]);
        let call = parse_call(&args).unwrap();
        assert_eq!(
            call.input,
            PathBuf::from("/p/target/wasm32-unknown-unknown/release/switchboard.wasm")
        );
        assert_eq!(
            call.out_dir,
            PathBuf::from("/p/target/wasm-bindgen/release")
        );
        assert_eq!(call.out_name, "switchboard");
        assert_eq!(
            call.flags,
            strings(&[
                "--target=web",
                "--out-dir=/p/target/wasm-bindgen/release",
                "--out-name=switchboard",
                "--no-typescript"
            ])
        );
    }

    #[test]
    fn any_other_call_goes_to_the_real_wasm_bindgen() {
        assert!(parse_call(&strings(&["--version"])).is_none());
        assert!(parse_call(&strings(&["--out-dir=x", "in.wasm"])).is_none());
    }

    #[test]
    fn the_hash_is_trunks_seahash_in_hex() {
        // trunk 0.21 names the page's files `<name>-<seahash of cargo's module, hex>`.
        assert_eq!(trunk_hash(b"abc"), format!("{:x}", seahash::hash(b"abc")));
        assert_ne!(trunk_hash(b"abc"), trunk_hash(b"abd"));
    }
}
