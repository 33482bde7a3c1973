//! Small inline SVG icons (no icon font, no request leaving the page).

use yew::prelude::*;

fn icon(path: &'static str) -> Html {
    html! { <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d={path} /></svg> }
}

pub fn play() -> Html {
    icon("M8 5v14l11-7z")
}
pub fn pause() -> Html {
    icon("M6 5h4v14H6zM14 5h4v14h-4z")
}
pub fn step_forward() -> Html {
    icon("M6 6l8.5 6L6 18zM16 6h2v12h-2z")
}
pub fn step_back() -> Html {
    icon("M18 6l-8.5 6L18 18zM6 6h2v12H6z")
}
pub fn reset() -> Html {
    icon("M12 5V1L7 6l5 5V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z")
}
pub fn maximize() -> Html {
    icon("M4 4h7v2H6v5H4zM13 4h7v7h-2V6h-5zM4 13h2v5h5v2H4zM18 13h2v7h-7v-2h5z")
}
pub fn restore() -> Html {
    icon("M9 4h2v7H4V9h5zM13 4h2v5h5v2h-7zM4 13h7v7H9v-5H4zM13 13h7v2h-5v5h-2z")
}
pub fn close() -> Html {
    icon("M6 6l12 12M18 6L6 18")
}
pub fn logo() -> Html {
    html! {
        <svg viewBox="0 0 40 40" width="36" height="36" aria-hidden="true" focusable="false">
            <circle cx="20" cy="8" r="6" class="logo-a" />
            <circle cx="8" cy="30" r="6" class="logo-b" />
            <circle cx="32" cy="30" r="6" class="logo-b" />
            <path d="M17 13L10 25M23 13L30 25M14 30h12" class="logo-l" />
        </svg>
    }
}
