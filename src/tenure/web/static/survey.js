// Show a question only while the answer it depends on says so (show_if). Without this
// script every question shows, and the server drops answers to hidden ones anyway.
(function () {
  const form = document.getElementById("survey-form");
  if (!form) return;
  const answerOf = (id) =>
    Array.from(form.querySelectorAll(`[name="q-${id}"]`))
      .filter((el) => !el.disabled && (el.type === "radio" || el.type === "checkbox" ? el.checked : el.value.trim()))
      .map((el) => el.value);
  const holds = (rule) => {
    const given = answerOf(rule.question);
    if (!given.length) return false;
    if (rule.equals) return given.some((value) => rule.equals.includes(value));
    const number = Number(given[0]);
    return (rule.min === undefined || number >= rule.min) && (rule.max === undefined || number <= rule.max);
  };
  const update = () => {
    form.querySelectorAll("[data-show-if]").forEach((question) => {
      const shown = holds(JSON.parse(question.dataset.showIf));
      question.hidden = !shown;
      question.querySelectorAll("input, textarea").forEach((el) => { el.disabled = !shown; });
    });
  };
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
