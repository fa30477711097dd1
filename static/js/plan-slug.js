// The new-plan page: suggests the short name from the title as it is typed, until the short name
// is typed by hand. Progressive enhancement only: without it the short name is typed, and the
// server checks it either way. The same rule as suggest_slug in app/domain/plan_admin.py.
(function () {
  var title = document.getElementById('title')
  var slug = document.getElementById('slug')
  if (!title || !slug) return

  function suggest (text) {
    return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100).replace(/-+$/, '')
  }

  var following = slug.value === '' || slug.value === suggest(title.value)
  title.addEventListener('input', function () {
    if (following) slug.value = suggest(title.value)
  })
  slug.addEventListener('input', function () {
    following = slug.value === ''
  })
})()
