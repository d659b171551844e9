//! PDFs made by Carethread itself, with typst as a library: no external program, no network,
//! and fonts compiled into the binary, so a PDF comes out the same on every machine.
//!
//! A document is a typst template (in this folder) plus its data as JSON, which the template
//! reads with `json("/data.json")`. The data never becomes typst markup, so nothing a person
//! typed can change the layout or run as code.

use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The easy-read care plan.
pub const EASY_READ_PLAN: &str = include_str!("easy_read_plan.typ");

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = [dejavu::sans::regular(), dejavu::sans::bold()]
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Fonts { book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

fn file_id(path: &str) -> FileId {
    // Paths here are fixed strings of ours, so they are always valid.
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable!("a fixed, valid path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// One document being compiled: the template, its data, and the pictograms it may show.
struct Job {
    main: Source,
    data: Bytes,
    today: Datetime,
}

impl World for Job {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(not_found(id)) }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == file_id("/data.json") {
            return Ok(self.data.clone());
        }
        let path = id.vpath().get_with_slash().to_string();
        match path.strip_prefix("/pictograms/").and_then(|p| p.strip_suffix(".svg")) {
            Some(name) => Ok(Bytes::from_string(crate::web::pictograms::svg_document(name))),
            None => Err(not_found(id)),
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().to_string().into())
}

/// Compiles `template` with `data` into a PDF.
pub fn render(template: &str, data: &serde_json::Value, today: chrono::NaiveDate) -> anyhow::Result<Vec<u8>> {
    use chrono::Datelike;
    let job = Job {
        main: Source::new(file_id("/main.typ"), template.to_string()),
        data: Bytes::new(serde_json::to_vec(data)?),
        today: Datetime::from_ymd(today.year(), today.month() as u8, today.day() as u8)
            .ok_or_else(|| anyhow::anyhow!("today's date is out of typst's range"))?,
    };
    let document: PagedDocument = typst::compile(&job)
        .output
        .map_err(|errors| anyhow::anyhow!("the PDF template failed: {}", messages(&errors)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| anyhow::anyhow!("the PDF could not be written: {}", messages(&errors)))
}

fn messages(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")
}
