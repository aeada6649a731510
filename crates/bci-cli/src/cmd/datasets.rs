//! `bci datasets`: list, fetch, verify and locate open datasets (see the bci-datasets crate).

use std::io::IsTerminal;

use anyhow::{Context, bail};
use bci_datasets::{FetchOptions, Registry, Selection, VerifyStatus, cache_dir, dataset_dir};

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the datasets in the registry with their license and size in files.
    List,
    /// Download a dataset (or some of its subjects/runs) into the cache, verifying checksums.
    Fetch {
        /// Dataset name, as `bci datasets list` shows it.
        name: String,
        #[command(flatten)]
        selection: SelectionArgs,
        /// Base URL of a mirror laid out like the cache (default: $BCI_DATA_MIRROR, else the official URLs).
        #[arg(long)]
        mirror: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check the cached files of one dataset (or all) against their checksums.
    Verify {
        name: Option<String>,
        #[command(flatten)]
        selection: SelectionArgs,
    },
    /// Print the folder that holds a dataset in the cache.
    Path { name: String },
}

#[derive(clap::Args)]
pub struct SelectionArgs {
    /// Subjects, e.g. `1-5,7` (default: all).
    #[arg(long)]
    subjects: Option<String>,
    /// Runs, for datasets with numbered runs (eegmmidb), e.g. `4,8,12` (default: all).
    #[arg(long)]
    runs: Option<String>,
}

impl SelectionArgs {
    fn parse(&self) -> anyhow::Result<Selection> {
        Ok(Selection::parse(
            self.subjects.as_deref(),
            self.runs.as_deref(),
        )?)
    }
}

pub fn run(command: Command) -> anyhow::Result<()> {
    let registry = Registry::bundled()?;
    let root = cache_dir();
    match command {
        Command::List => {
            println!("cache: {}", root.display());
            for d in &registry.datasets {
                println!(
                    "{:<14} {:>5} files  {:<10} {}\n{:<14} license: {}; paradigms: {}",
                    d.name,
                    d.n_files(),
                    d.format,
                    d.title,
                    "",
                    d.license,
                    d.paradigms.join(", ")
                );
            }
        }
        Command::Fetch {
            name,
            selection,
            mirror,
            quiet,
        } => {
            let dataset = registry.get(&name)?;
            let selection = selection.parse()?;
            let opts = FetchOptions {
                mirror,
                progress: !quiet && std::io::stderr().is_terminal(),
            };
            let report = bci_datasets::fetch(&root, dataset, &selection, &opts)
                .with_context(|| format!("fetching {name}"))?;
            println!(
                "{name}: {} downloaded ({} resumed, {:.1} MB), {} already present; in {}",
                report.downloaded,
                report.resumed,
                report.bytes as f64 / 1e6,
                report.present,
                dataset_dir(&root, dataset).display()
            );
            println!("license: {}\ncite: {}", dataset.license, dataset.citation);
        }
        Command::Verify { name, selection } => {
            let selection = selection.parse()?;
            let datasets: Vec<_> = match &name {
                Some(n) => vec![registry.get(n)?],
                None => registry.datasets.iter().collect(),
            };
            let mut bad = 0usize;
            for d in datasets {
                let (mut ok, mut missing) = (0usize, 0usize);
                for (path, status) in bci_datasets::verify(&root, d, &selection)? {
                    match status {
                        VerifyStatus::Ok => ok += 1,
                        VerifyStatus::Missing => missing += 1,
                        VerifyStatus::Mismatch(actual) => {
                            bad += 1;
                            eprintln!("MISMATCH {} (sha256 {actual})", path.display());
                        }
                    }
                }
                println!("{:<14} {ok} ok, {missing} not fetched", d.name);
            }
            if bad > 0 {
                bail!("{bad} file(s) do not match their checksums; delete them and fetch again");
            }
        }
        Command::Path { name } => {
            println!("{}", dataset_dir(&root, registry.get(&name)?).display());
        }
    }
    Ok(())
}
