//! Markdown to HTML that is safe to serve: pulldown-cmark renders, ammonia sanitises.
//! Done once when a report is saved; views serve the stored result.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// ammonia's defaults (no script, no event handlers, no `javascript:` URLs, no styles)
/// plus `rel="noopener noreferrer"` on every link, so a reader who follows one neither
/// hands the report's URL (and its token) to the next site nor gives it our window.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener noreferrer"));
    builder
});

/// The report body's HTML.
pub fn markdown_to_html(markdown: &str) -> String {
    // Not footnotes or task lists: their output needs `id`s and `<input>`s, which the
    // sanitiser rightly removes, leaving them broken.
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    SANITISER.clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html =
            markdown_to_html("# Title\n\n*one* **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>one</em> <strong>two</strong>"), "{html}");
        assert!(html.contains("<td>1</td>"), "{html}");
    }

    #[test]
    fn no_script_survives() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg><script>alert(1)</script></svg>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<form action=\"https://evil.example\"><button>go</button></form>",
        ];
        for attack in attacks {
            let html = markdown_to_html(attack).to_ascii_lowercase();
            for banned in ["<script", "onerror", "javascript:", "<iframe", "style=", "<form"] {
                assert!(!html.contains(banned), "{attack:?} gave {html:?}");
            }
        }
    }

    #[test]
    fn links_neither_leak_nor_open_us() {
        let html = markdown_to_html(
            "[site](https://example.com) <a href=\"https://x.example\" rel=\"opener\">x</a>",
        );
        assert_eq!(html.matches("rel=\"noopener noreferrer\"").count(), 2, "{html}");
        assert!(!html.contains("rel=\"opener\""), "{html}");
    }
}
