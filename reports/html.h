// HTML rendering of report tables: escaping, one Table as an HTML <table>, and a standalone,
// print-friendly page around one or more of them. Every text that reaches the page (titles, cells,
// notes) is escaped here, so callers pass plain text, never markup.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "reports/table.h"

namespace cohortwatch::reports {

// Escapes &, <, >, " and ' so the text is safe both between tags and inside attribute values.
std::string htmlEscape(std::string_view text);

// One <table>: a header row of the columns' titles, then the rows formatted as in the terminal
// form (formatCell); numbers are right-aligned (class "num"), nulls are empty cells. The table's
// notes follow as paragraphs of class "note". An optional caption names the table.
void renderHtmlTable(const Table& table, std::ostream& out, std::string_view caption = {});

// A standalone page (doctype, UTF-8, an embedded print-friendly style sheet, no scripts and no
// external resources): beginHtmlPage writes everything up to and including the <h1> title,
// endHtmlPage closes the document. Between them write sections, e.g. htmlHeading and
// renderHtmlTable.
void beginHtmlPage(std::string_view title, std::ostream& out);
void endHtmlPage(std::ostream& out);

// <h2>..</h2> (level 2) or <h3>..</h3> (level 3), escaped.
void htmlHeading(std::string_view text, std::ostream& out, int level = 2);

// <p>..</p>, escaped.
void htmlParagraph(std::string_view text, std::ostream& out);

// <pre>..</pre>, escaped: text to copy as it is (e.g. configuration snippets).
void htmlPreformatted(std::string_view text, std::ostream& out);

}  // namespace cohortwatch::reports
