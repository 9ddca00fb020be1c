use leptos::prelude::*;

/// The 6-digit code input with its error line, for every form that takes a sign-in code:
/// one place for its attributes (numeric keyboard, the browser's one-time-code autofill)
/// and for its wording.
#[component]
pub fn CodeField(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <label for="code">"6-digit code"</label>
        <input
            id="code"
            name="code"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9 \\-]*"
            maxlength="7"
            required
            autofocus
            aria-invalid=move || error.read().is_some().to_string()
            aria-describedby="code-error"
        />
        <p id="code-error" class="error" role="alert">{move || error.get()}</p>
    }
}

/// The error line for the answers both code forms share (`error=format` and
/// `error=wrong&left=N` in the page's query); `None` for any other.
pub fn code_error(error: &str, left: Option<&str>) -> Option<String> {
    match error {
        "format" => Some("Enter the 6 digits from the email.".to_owned()),
        "wrong" => Some(match left.and_then(|left| left.parse::<i32>().ok()) {
            Some(1) => "That code is not right. You have 1 more try.".to_owned(),
            Some(n) => format!("That code is not right. You have {n} more tries."),
            None => "That code is not right.".to_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::code_error;

    #[test]
    fn counts_the_tries_left_in_words() {
        assert_eq!(
            code_error("wrong", Some("1")).unwrap(),
            "That code is not right. You have 1 more try."
        );
        assert!(code_error("wrong", Some("3")).unwrap().ends_with("3 more tries."));
        assert_eq!(code_error("wrong", Some("x")).unwrap(), "That code is not right.");
        assert!(code_error("other", None).is_none());
    }
}
