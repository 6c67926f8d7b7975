// Forms that ask before they act: <form data-confirm="Question / question">. A file of its own
// because the pages' Content-Security-Policy allows no inline script or event handler.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
