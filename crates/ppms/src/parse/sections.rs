//! Bodies with a preamble and several CSV sections, each with its own header
//! (`getinvoicedetails`, PPMS-Q18).

use std::collections::BTreeMap;

use csv::StringRecord;
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use super::ParseError;
use super::table::{Fields, Header, RowRef, next_record, open, raw_line, record_line, record_pos};

/// A header and the rows under it. The rows' fields are packed in one buffer (two
/// allocations per section, not per row), so very large bodies parse quickly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    line: u64,
    header: Header,
    /// Every field of every row, concatenated.
    text: String,
    /// End offset in `text` of each field.
    ends: Vec<u32>,
    /// Per row: its line, its first field (index into `ends`) and its field count.
    rows: Vec<(u64, u32, u32)>,
}

impl Section {
    fn new(line: u64, header: Header, reserve: usize) -> Self {
        Self {
            line,
            header,
            text: String::with_capacity(reserve),
            ends: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, line: u64, record: &StringRecord) -> Result<(), ParseError> {
        let too_big = || ParseError::at_line(line, "section larger than 4 GiB");
        let first = u32::try_from(self.ends.len()).map_err(|_| too_big())?;
        for field in record.iter() {
            self.text.push_str(field);
            self.ends
                .push(u32::try_from(self.text.len()).map_err(|_| too_big())?);
        }
        let len = u32::try_from(record.len()).map_err(|_| too_big())?;
        self.rows.push((line, first, len));
        Ok(())
    }

    fn view(&self, row: &(u64, u32, u32)) -> RowRef<'_> {
        let (line, first, len) = *row;
        let fields = Fields::Packed {
            text: &self.text,
            ends: &self.ends,
            first: first as usize,
            len: len as usize,
        };
        RowRef::detached(&self.header, fields, line)
    }

    /// The line of the body holding the section's header.
    pub fn header_line(&self) -> u64 {
        self.line
    }

    /// The section's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the section has no data row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// One row, read through the section's header.
    pub fn row(&self, index: usize) -> Option<RowRef<'_>> {
        self.rows.get(index).map(|r| self.view(r))
    }

    /// Every row, read through the section's header.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = RowRef<'_>> + '_ {
        self.rows.iter().map(|r| self.view(r))
    }
}

impl Serialize for Section {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Rows<'a>(&'a Section);
        impl Serialize for Rows<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.rows().map(|r| MapOf(r.to_map())))
            }
        }
        struct MapOf(BTreeMap<String, String>);
        impl Serialize for MapOf {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut m = serializer.serialize_map(Some(self.0.len()))?;
                for (k, v) in &self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut s = serializer.serialize_struct("Section", 2)?;
        s.serialize_field("header", &self.header.names().collect::<Vec<_>>())?;
        s.serialize_field("rows", &Rows(self))?;
        s.end()
    }
}

/// A preamble (lines verbatim) followed by sections.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct Sections {
    /// The lines before the first header, trimmed but otherwise verbatim.
    pub preamble: Vec<String>,
    /// The sections in body order.
    pub sections: Vec<Section>,
}

/// Splits a body into a preamble and sections: every record for which `is_header` is true
/// starts a new section; records before the first header are the preamble.
///
/// When no record is header-like, the first `fallback_preamble` non-blank lines are taken as
/// the preamble and the next one as the header (PPMS-Q18: three preamble lines).
pub fn parse_sections(
    body: &str,
    is_header: impl Fn(&StringRecord) -> bool,
    fallback_preamble: usize,
) -> Result<Sections, ParseError> {
    let mut out = Sections::default();
    let mut rdr = open(body)?;
    let mut record = StringRecord::new();
    let mut pending: Vec<(String, StringRecord)> = Vec::new();
    while next_record(&mut rdr, &mut record)? {
        let (line, offset) = record_pos(body.as_bytes(), &record);
        if is_header(&record) {
            let reserve = body.len().saturating_sub(offset);
            out.sections
                .push(Section::new(line, Header::of_record(&record), reserve));
        } else if let Some(section) = out.sections.last_mut() {
            section.push(line, &record)?;
        } else {
            pending.push((raw_line(body, &record).to_owned(), record.clone()));
        }
    }
    if out.sections.is_empty() && pending.len() > fallback_preamble {
        let mut rest = pending.split_off(fallback_preamble);
        out.preamble = pending.into_iter().map(|(l, _)| l).collect();
        let (_, header) = rest.remove(0);
        let mut section = Section::new(record_line(body, &header), Header::new(header.iter()), 0);
        for (_, r) in &rest {
            section.push(record_line(body, r), r)?;
        }
        out.sections.push(section);
    } else {
        out.preamble = pending.into_iter().map(|(l, _)| l).collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn header_like(r: &StringRecord) -> bool {
        r.get(0).is_some_and(|f| f.trim() == "Reference")
    }

    #[test]
    fn splits_preamble_and_sections() {
        let body = "Title\r\nCore X\r\nPeriod\r\nReference,User\r\n\"R1\",\"jdoe\"\r\nReference,Duration\r\n\"T1\",2\r\n";
        let s = parse_sections(body, header_like, 3).unwrap();
        assert_eq!(s.preamble, vec!["Title", "Core X", "Period"]);
        assert_eq!(s.sections.len(), 2);
        assert_eq!(
            s.sections[1]
                .row(0)
                .unwrap()
                .raw(&crate::parse::Column(&["Duration"])),
            Some("2")
        );
    }

    #[test]
    fn falls_back_to_a_fixed_preamble() {
        let body = "a\r\nb\r\nc\r\nX,Y\r\n1,2\r\n";
        let s = parse_sections(body, |_| false, 3).unwrap();
        assert_eq!(s.preamble.len(), 3);
        assert_eq!(
            s.sections[0].header().names().collect::<Vec<_>>(),
            ["X", "Y"]
        );
        assert_eq!(s.sections[0].len(), 1);
    }
}
