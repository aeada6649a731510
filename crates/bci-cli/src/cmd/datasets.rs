//! Placeholder until the library behind it lands.

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the datasets in the registry.
    List,
}

pub fn run(_command: Command) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
