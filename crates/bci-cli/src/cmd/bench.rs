//! `bci bench`: MOABB-style evaluations (see the bci-bench crate), and `bci bench merge` of shard
//! outputs.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use bci_bench::eval::parse_subjects;
use bci_bench::{BenchConfig, Evaluation, FilterMode, Paradigm, PipelineSpec, Shard};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

// Parsed once at start-up, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand)]
enum Sub {
    /// Run an evaluation (same options as `bci bench` itself).
    Run(RunArgs),
    /// Combine the output folders of `--shard K/N` runs into the output of one unsharded run.
    Merge {
        /// Shard output folders (all N of them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder for the merged output.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// left-right-imagery, hands-feet-imagery (eegmmidb), ssvep (ssvep-exo), p300 (bi2012).
    #[arg(long, required = true)]
    paradigm: Option<String>,
    /// Dataset (default: the paradigm's; must be it when given).
    #[arg(long)]
    dataset: Option<String>,
    /// Subjects, e.g. `1-5,7`.
    #[arg(long, required = true)]
    subjects: Option<String>,
    /// Comma-separated built-in pipelines: csp-lda, csp-mne-lda, ts-lr, mdm, fbcsp, xdawn-lda,
    /// xdawn-ts-lr, xdawn-mdm, cca, fbcca.
    #[arg(long)]
    pipelines: Option<String>,
    /// TOML file of `[[pipeline]]` tables (name, kind, parameters), added after --pipelines.
    #[arg(long)]
    pipeline_file: Option<PathBuf>,
    /// within-session (k-fold), cross-session or cross-subject (leave one subject out).
    #[arg(long, default_value = "within-session")]
    evaluation: String,
    /// Output folder.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Seed of the fold shuffle and the label shuffle (MOABB's default: 42).
    #[arg(long, default_value_t = 42)]
    seed: u32,
    /// Folds of the within-session cross-validation.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Run only slice K of N (1-based), e.g. `--shard 2/4`; merge the N folders with `bci bench merge`.
    #[arg(long)]
    shard: Option<String>,
    /// zero-phase (MOABB, offline), causal (as a live session filters), or both.
    #[arg(long, default_value = "zero-phase")]
    filter: String,
    /// Skip the shuffled-label control (by default every pipeline is also fitted on shuffled labels).
    #[arg(long)]
    no_control: bool,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Folder holding the datasets (default: $BCI_DATA, else the cache).
    #[arg(long)]
    data: Option<PathBuf>,
    /// No progress bar (it is also off when stderr is not a terminal).
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Sub::Run(r)) => run_bench(r),
        Some(Sub::Merge { dirs, out }) => {
            let merged = bci_bench::merge(&dirs)?;
            let written = bci_bench::write_outputs(&out, &merged)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "merged {} shard folder(s): {} result rows into {}",
                dirs.len(),
                merged.results.len(),
                out.display()
            );
            for p in written {
                println!("  {}", p.display());
            }
            Ok(())
        }
        None => run_bench(args.run),
    }
}

fn run_bench(a: RunArgs) -> anyhow::Result<()> {
    let (Some(paradigm), Some(subjects), Some(out)) = (a.paradigm, a.subjects, a.out) else {
        bail!("--paradigm, --subjects and --out are required");
    };
    let paradigm = Paradigm::by_name(&paradigm)?;
    if let Some(d) = &a.dataset
        && d != paradigm.dataset
    {
        bail!(
            "--dataset {d}: the {} paradigm runs on {}",
            paradigm.name,
            paradigm.dataset
        );
    }
    let mut pipelines = Vec::new();
    if let Some(list) = &a.pipelines {
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            pipelines.push(PipelineSpec::builtin(name)?);
        }
    }
    if let Some(file) = &a.pipeline_file {
        pipelines.extend(PipelineSpec::from_file(file)?);
    }
    if pipelines.is_empty() {
        bail!("give --pipelines (e.g. csp-lda,ts-lr,mdm) and/or --pipeline-file");
    }
    let cfg = BenchConfig {
        paradigm,
        subjects: parse_subjects(&subjects)?,
        pipelines,
        evaluation: Evaluation::parse(&a.evaluation)?,
        n_folds: a.folds,
        seed: a.seed,
        filters: FilterMode::parse_list(&a.filter)?,
        control: !a.no_control,
        shard: a.shard.as_deref().map(Shard::parse).transpose()?,
        threads: a.threads,
        data_root: a.data.unwrap_or_else(bci_datasets::cache_dir),
        progress: !a.quiet,
    };
    let t0 = Instant::now();
    let result = bci_bench::run(&cfg)?;
    let elapsed = t0.elapsed().as_secs_f64();
    let written = bci_bench::write_outputs(&out, &result)
        .with_context(|| format!("writing {}", out.display()))?;
    let fit: f64 = result.timings.iter().map(|t| t.fit_seconds).sum();
    let predict: f64 = result.timings.iter().map(|t| t.predict_seconds).sum();
    if !a.quiet {
        for line in bci_bench::report::summarize(&result) {
            let ctrl = line
                .control
                .map(|(m, s)| format!(", shuffled-label control {m:.3} ± {s:.3}"))
                .unwrap_or_default();
            println!(
                "{:<12} {:<10} {} {:.3} ± {:.3} (n={}){ctrl}",
                line.pipeline,
                line.filter.name(),
                result.meta.metric.name(),
                line.mean,
                line.sd,
                line.n
            );
            for f in &line.flags {
                println!("  FLAG: {f}");
            }
        }
        println!(
            "{} result rows in {elapsed:.2} s (fit {fit:.2} s, predict {predict:.2} s of CPU time; \
             {} eigen-decompositions with eigenvectors); wrote {}",
            result.results.len(),
            bci_decode::decompositions().0,
            out.display()
        );
        for p in written {
            println!("  {}", p.display());
        }
    }
    Ok(())
}
