//! The dataset registry and subject/run selections.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::{DatasetError, Result};

const BUNDLED: &str = include_str!("../../../datasets/registry.toml");

/// All datasets bci knows.
#[derive(Debug, Clone, Deserialize)]
pub struct Registry {
    #[serde(rename = "dataset")]
    pub datasets: Vec<Dataset>,
}

/// One dataset: where it comes from, its terms, and its files.
#[derive(Debug, Clone, Deserialize)]
pub struct Dataset {
    pub name: String,
    /// Folder under the cache (and under a mirror) that holds the files.
    pub dir: String,
    pub title: String,
    pub license: String,
    pub citation: String,
    pub homepage: String,
    pub paradigms: Vec<String>,
    pub format: String,
    pub subjects: u32,
    /// Event code → meaning.
    #[serde(default)]
    pub events: BTreeMap<String, String>,
    #[serde(rename = "file")]
    pub files: Vec<FileEntry>,
}

/// One file of a dataset.
#[derive(Debug, Clone, Deserialize)]
pub struct FileEntry {
    /// Path under the dataset's folder.
    pub path: String,
    /// Official download URL.
    pub url: String,
    pub sha256: String,
    pub subject: Option<u32>,
    pub run: Option<u32>,
}

impl Registry {
    /// The registry compiled into this build.
    pub fn bundled() -> Result<Registry> {
        let registry: Registry =
            toml::from_str(BUNDLED).map_err(|e| DatasetError::Registry(e.to_string()))?;
        Ok(registry)
    }

    /// The dataset called `name`.
    pub fn get(&self, name: &str) -> Result<&Dataset> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| DatasetError::UnknownDataset {
                name: name.to_string(),
                known: self
                    .datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl Dataset {
    /// The files a selection picks, in registry order.
    pub fn select(&self, selection: &Selection) -> Result<Vec<&FileEntry>> {
        let files: Vec<&FileEntry> = self.files.iter().filter(|f| selection.matches(f)).collect();
        if files.is_empty() {
            return Err(DatasetError::NothingSelected {
                dataset: self.name.clone(),
                selection: selection.to_string(),
            });
        }
        Ok(files)
    }

    /// Total number of files.
    pub fn n_files(&self) -> usize {
        self.files.len()
    }
}

/// Which subjects and runs to act on; `None` means all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub subjects: Option<Vec<u32>>,
    pub runs: Option<Vec<u32>>,
}

impl Selection {
    /// Parses `--subjects` and `--runs` values such as `1-5,7` (either may be absent).
    pub fn parse(subjects: Option<&str>, runs: Option<&str>) -> Result<Selection> {
        Ok(Selection {
            subjects: subjects.map(parse_ranges).transpose()?,
            runs: runs.map(parse_ranges).transpose()?,
        })
    }

    fn matches(&self, file: &FileEntry) -> bool {
        let ok = |wanted: &Option<Vec<u32>>, have: Option<u32>| match (wanted, have) {
            (None, _) => true,
            (Some(list), Some(v)) => list.contains(&v),
            // A file without a run number (a dataset without runs) is kept by a run filter.
            (Some(_), None) => true,
        };
        ok(&self.subjects, file.subject) && ok(&self.runs, file.run)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<Vec<u32>>| match v {
            None => "all".to_string(),
            Some(list) => list
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        };
        write!(
            f,
            "subjects {} and runs {}",
            show(&self.subjects),
            show(&self.runs)
        )
    }
}

/// `1-5,7,9-10` → [1,2,3,4,5,7,9,10].
fn parse_ranges(text: &str) -> Result<Vec<u32>> {
    let err = |message: &str| DatasetError::Selection {
        text: text.to_string(),
        message: message.to_string(),
    };
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let lo: u32 = lo.parse().map_err(|_| err("expected numbers like 1-5,7"))?;
        let hi: u32 = hi.parse().map_err(|_| err("expected numbers like 1-5,7"))?;
        if lo == 0 || hi < lo {
            return Err(err("ranges count from 1 and go upwards (e.g. 1-5)"));
        }
        if hi - lo > 10_000 {
            return Err(err("range too large"));
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_registry_covers_every_eegmmidb_subject() {
        let reg = Registry::bundled().unwrap();
        let mi = reg.get("eegmmidb").unwrap();
        let subjects: std::collections::BTreeSet<u32> =
            mi.files.iter().filter_map(|f| f.subject).collect();
        assert_eq!(subjects.len(), 109);
        assert_eq!(mi.files.len(), 109 * 14);
        for f in &mi.files {
            assert_eq!(f.sha256.len(), 64, "{}", f.path);
            assert!(f.url.ends_with(&f.path), "{}", f.url);
        }
        for name in ["ssvep-exo", "bi2012", "eeglab-sample"] {
            assert!(!reg.get(name).unwrap().files.is_empty());
        }
    }

    #[test]
    fn selections_parse_and_filter() {
        let sel = Selection::parse(Some("1-3,5"), Some("4,8,12")).unwrap();
        assert_eq!(sel.subjects, Some(vec![1, 2, 3, 5]));
        let reg = Registry::bundled().unwrap();
        let files = reg.get("eegmmidb").unwrap().select(&sel).unwrap();
        assert_eq!(files.len(), 4 * 3);
        assert!(files.iter().all(|f| [4, 8, 12].contains(&f.run.unwrap())));
        assert!(Selection::parse(Some("5-1"), None).is_err());
        assert!(Selection::parse(Some("a"), None).is_err());
        assert!(Selection::parse(Some("0"), None).is_err());
        let none = Selection::parse(Some("200"), None).unwrap();
        assert!(reg.get("eegmmidb").unwrap().select(&none).is_err());
        assert!(reg.get("nope").is_err());
    }
}
