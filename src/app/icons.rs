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
pub fn settings() -> Html {
    icon("M19.4 13a7.6 7.6 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.4 7.4 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.4 7.4 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.6 7.6 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.4 7.4 0 0 0 1.7 1L11 21h4l.4-2.9a7.4 7.4 0 0 0 1.7-1l2.5 1 2-3.5zM12 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z")
}
pub fn share() -> Html {
    icon("M18 16a3 3 0 0 0-2.2 1l-7-3.6a3 3 0 0 0 0-2.8l7-3.6A3 3 0 1 0 15 5l-7 3.6a3 3 0 1 0 0 6.8l7 3.6A3 3 0 1 0 18 16z")
}
pub fn embed() -> Html {
    icon("M8.6 16.6L4 12l4.6-4.6L7.2 6 1.2 12l6 6zM15.4 16.6L20 12l-4.6-4.6L16.8 6l6 6-6 6z")
}
pub fn download() -> Html {
    icon("M11 3h2v9l3.5-3.5 1.4 1.4L12 15.8 6.1 9.9l1.4-1.4L11 12zM4 18h16v2H4z")
}
