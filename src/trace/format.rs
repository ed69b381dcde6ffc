//! Trace formats: telling them from a file name, or from `--format`.

use std::path::Path;

use super::TraceError;

/// The encodings cachelab reads.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceFormat {
    /// libCacheSim oracleGeneral (24-byte binary records with next access).
    OracleGeneral {
        /// Ignore the records' next-access fields: Belady then uses next
        /// accesses recomputed from the trace (`oracleGeneral:next-access=recompute`).
        recompute_next_access: bool,
    },
    /// VMware vscsi, version 1 or 2.
    Vscsi,
    /// libCacheSim's lcs, versions 1 to 8 (a header, then records).
    Lcs,
    /// Twitter's cache traces (Yang et al., OSDI 2020): csv lines of
    /// timestamp, key, key size, value size, client, operation, TTL.
    Twitter,
    /// One key per line; no time, no size.
    Text,
    /// Comma- (or otherwise) separated values.
    Csv(CsvColumns),
}

/// Where the fields of a CSV trace are. Columns count from 1, as in
/// libCacheSim. Without a key column, the header names the columns.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvColumns {
    /// The key column (numbers are taken as they are, anything else is hashed).
    pub key: Option<usize>,
    /// The time column, if any.
    pub time: Option<usize>,
    /// The size column, if any (else every object has size 1).
    pub size: Option<usize>,
    /// The operation column, if any (get, set, delete and their synonyms).
    pub op: Option<usize>,
    /// Whether the first line is a header.
    pub header: bool,
    /// The field separator.
    pub delimiter: u8,
    /// Nanoseconds per unit of the time column.
    pub time_unit_ns: f64,
}

impl Default for CsvColumns {
    fn default() -> Self {
        CsvColumns {
            key: None,
            time: None,
            size: None,
            op: None,
            header: true,
            delimiter: b',',
            time_unit_ns: 1e9,
        }
    }
}

const FORMATS: &str = "oracleGeneral (oracleGeneral:next-access=recompute), vscsi, lcs, twitter, txt, csv (csv:key=N,time=N,size=N,op=N,header=true|false,delimiter=C,time-unit=s|ms|us|ns)";

impl TraceFormat {
    /// The format's name, as `--format` takes it.
    pub fn name(&self) -> &'static str {
        match self {
            TraceFormat::OracleGeneral { .. } => "oracleGeneral",
            TraceFormat::Vscsi => "vscsi",
            TraceFormat::Lcs => "lcs",
            TraceFormat::Twitter => "twitter",
            TraceFormat::Text => "txt",
            TraceFormat::Csv(_) => "csv",
        }
    }

    /// Parses a `--format` value.
    pub fn parse(text: &str) -> Result<TraceFormat, String> {
        let (kind, options) = text.split_once(':').unwrap_or((text, ""));
        match kind.trim() {
            "oracleGeneral" | "oraclegeneral" | "oracle" => parse_oracle_options(options),
            "vscsi" => Ok(TraceFormat::Vscsi),
            "lcs" => Ok(TraceFormat::Lcs),
            "twitter" | "twr" => Ok(TraceFormat::Twitter),
            "txt" | "text" | "plain" => Ok(TraceFormat::Text),
            "csv" => parse_csv_options(options).map(TraceFormat::Csv),
            other => Err(format!("unknown trace format `{other}`; known: {FORMATS}")),
        }
    }

    /// The format a file name says: `.oracleGeneral[.bin]`, `.vscsi`,
    /// `.lcs`, `.twitter` or `.twitter.csv`, `.csv`, `.txt`, each optionally
    /// followed by `.zst` (Twitter's own files, `cluster52.0` and the like,
    /// need `--format twitter`).
    pub fn from_path(path: &Path) -> Result<TraceFormat, TraceError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".zst").unwrap_or(&name);
        let name = name.strip_suffix(".bin").unwrap_or(name);
        if name.ends_with(".oraclegeneral") {
            Ok(TraceFormat::OracleGeneral {
                recompute_next_access: false,
            })
        } else if name.ends_with(".vscsi") {
            Ok(TraceFormat::Vscsi)
        } else if name.ends_with(".lcs") {
            Ok(TraceFormat::Lcs)
        } else if name.ends_with(".twitter") || name.ends_with(".twitter.csv") {
            Ok(TraceFormat::Twitter)
        } else if name.ends_with(".csv") {
            Ok(TraceFormat::Csv(CsvColumns::default()))
        } else if name.ends_with(".txt") {
            Ok(TraceFormat::Text)
        } else {
            Err(TraceError::Format {
                path: path.to_path_buf(),
                problem: format!(
                    "cannot tell the trace format from the file name; give --format, one of: {FORMATS}"
                ),
            })
        }
    }
}

fn parse_oracle_options(options: &str) -> Result<TraceFormat, String> {
    let recompute_next_access = match options.trim() {
        "" | "next-access=trace" => false,
        "next-access=recompute" => true,
        other => {
            return Err(format!(
                "oracleGeneral option `{other}`: known are next-access=trace (the default: the records' own, checked) and next-access=recompute"
            ));
        }
    };
    Ok(TraceFormat::OracleGeneral {
        recompute_next_access,
    })
}

fn parse_csv_options(options: &str) -> Result<CsvColumns, String> {
    let mut columns = CsvColumns::default();
    let mut header_given = false;
    for pair in options.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("csv option `{pair}` is not of the form name=value"))?;
        let (name, value) = (name.trim(), value.trim());
        let column = || -> Result<Option<usize>, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|&c| c >= 1)
                .map(Some)
                .ok_or_else(|| {
                    format!("csv option `{name}`: column `{value}` must be a number from 1")
                })
        };
        match name {
            "key" | "obj-id" | "id" => columns.key = column()?,
            "time" => columns.time = column()?,
            "size" | "obj-size" => columns.size = column()?,
            "op" => columns.op = column()?,
            "header" | "has-header" => {
                header_given = true;
                columns.header = match value {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => {
                        return Err(format!(
                            "csv option `header`: `{value}` is not true or false"
                        ));
                    }
                }
            }
            "delimiter" => {
                columns.delimiter = match value {
                    "tab" | "\\t" => b'\t',
                    "space" => b' ',
                    "" => b',',
                    v if v.len() == 1 => v.as_bytes()[0],
                    _ => {
                        return Err(format!(
                            "csv option `delimiter`: `{value}` is not one character (or tab, space)"
                        ));
                    }
                }
            }
            "time-unit" => {
                columns.time_unit_ns = match value {
                    "s" => 1e9,
                    "ms" => 1e6,
                    "us" => 1e3,
                    "ns" => 1.0,
                    _ => {
                        return Err(format!(
                            "csv option `time-unit`: `{value}` is not one of s, ms, us, ns"
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "unknown csv option `{name}`; known: key, time, size, op, header, delimiter, time-unit"
                ));
            }
        }
    }
    if columns.key.is_some() && !header_given {
        columns.header = false;
    }
    if columns.key.is_none() && !columns.header {
        return Err("a csv trace without a header needs its key column: csv:key=N".to_string());
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_formats() {
        let f = |name: &str| TraceFormat::from_path(Path::new(name)).ok();
        let og = TraceFormat::OracleGeneral {
            recompute_next_access: false,
        };
        assert_eq!(f("a/x.oracleGeneral.bin"), Some(og.clone()));
        assert_eq!(f("x.oracleGeneral.zst"), Some(og.clone()));
        assert_eq!(TraceFormat::parse("oracleGeneral"), Ok(og));
        assert_eq!(
            TraceFormat::parse("oracleGeneral:next-access=recompute"),
            Ok(TraceFormat::OracleGeneral {
                recompute_next_access: true
            })
        );
        assert!(TraceFormat::parse("oracle:next=1").is_err());
        assert_eq!(f("x.vscsi"), Some(TraceFormat::Vscsi));
        assert_eq!(f("x.lcs.zst"), Some(TraceFormat::Lcs));
        assert_eq!(f("c52.twitter.csv"), Some(TraceFormat::Twitter));
        assert_eq!(TraceFormat::parse("lcs"), Ok(TraceFormat::Lcs));
        assert_eq!(TraceFormat::parse("twitter"), Ok(TraceFormat::Twitter));
        assert_eq!(f("x.txt.zst"), Some(TraceFormat::Text));
        assert!(matches!(f("x.csv"), Some(TraceFormat::Csv(_))));
        assert_eq!(f("x.dat"), None);
    }

    #[test]
    fn csv_options() {
        let TraceFormat::Csv(c) =
            TraceFormat::parse("csv:key=5,time=2,size=4,delimiter=tab").unwrap()
        else {
            panic!("not csv");
        };
        assert_eq!(
            (c.key, c.time, c.size, c.op),
            (Some(5), Some(2), Some(4), None)
        );
        assert!(!c.header, "explicit columns imply no header unless said");
        assert_eq!(c.delimiter, b'\t');
        assert!(TraceFormat::parse("csv:key=0").is_err());
        assert!(TraceFormat::parse("csv:header=false").is_err());
        assert!(
            TraceFormat::parse("csv:colour=red")
                .unwrap_err()
                .contains("colour")
        );
        assert!(TraceFormat::parse("parquet").unwrap_err().contains("known"));
    }
}
