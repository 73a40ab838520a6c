// The administration module's pages for what the widget's pre-chat form offers: the
// categories a customer chooses among (each named in both languages and leading to a queue,
// edited in place or removed) and the form's fields (in the order the widget shows them,
// moved one step at a time; a select's options in both languages).

import { api, post } from './api.js';
import { h } from './dom.js';
import { localName, t } from './i18n.js';
import {
  blankToNull, editableRow, form, nameFields, namesOf, removeButton, rowButton, section, table,
} from './admin-forms.js';

/** `categories` and `queues` as `GET /widget/config` lists them (removed ones are not). */
export function categoriesSection(categories, queues, { notify, run }) {
  const queueOptions = queues.map((q) => [q.queue_id, localName(q)]);
  const queueName = (queueId) => localName(queues.find((q) => q.queue_id === queueId)) ?? '–';
  const fields = (category) => [
    ...nameFields(category),
    { name: 'queue_id', label: 'queue', options: queueOptions, value: category?.queue_id },
  ];
  const bodyOf = (values) => ({ ...namesOf(values), queue_id: values.queue_id });
  return section('categories',
    table(['name', 'nameEn', 'queue', ''], categories.map((category) => editableRow(
      [category.name, category.name_en ?? '–', queueName(category.queue_id)], {
        fields: fields(category),
        save: run((v) => api(`/categories/${category.category_id}`, { method: 'PUT', body: bodyOf(v) })),
        label: t('editItem', { name: localName(category) }),
        buttons: removeButton(() => api(`/categories/${category.category_id}`, { method: 'DELETE' }), {
          notify,
          label: t('removeItem', { name: localName(category) }),
          title: t('removeCategoryTitle', { name: localName(category) }),
          text: t('removeCategoryText'),
        }),
      }))),
    form(fields(), 'create', run((v) => post('/categories', bodyOf(v)))));
}

/** "a, b , c" as the options inputs take them → `['a', 'b', 'c']`. */
const listOf = (text) => (text ?? '').split(',').map((o) => o.trim()).filter(Boolean);

/** `fields`: the pre-chat form's fields in the widget's order. */
export function formFieldsSection(fields, { notify, run }) {
  // The server takes the whole order at once: every key, the two swapped.
  const swap = (from, to) => {
    const keys = fields.map((f) => f.key);
    [keys[from], keys[to]] = [keys[to], keys[from]];
    return api('/form-fields/order', { method: 'PUT', body: { keys } });
  };
  const move = (field, at, step) => rowButton(step < 0 ? 'moveUp' : 'moveDown', () => swap(at, at + step), {
    notify,
    label: t(step < 0 ? 'moveItemUp' : 'moveItemDown', { name: field.label }),
    disabled: !fields[at + step],
    key: `move:${field.key}:${step}`,
  });
  return section('formFields',
    table(['key', 'label', 'labelEn', 'kind', 'required', 'options', 'optionsEn', ''], fields.map((f, at) => [
      f.key, f.label, f.label_en ?? '–', t(`kind_${f.kind}`), t(f.required ? 'yes' : 'no'),
      f.options.join(', ') || '–', (f.options_en ?? []).join(', ') || '–',
      h('div', { class: 'row-actions' },
        move(f, at, -1),
        move(f, at, 1),
        rowButton('remove', () => api(`/form-fields/${encodeURIComponent(f.key)}`, { method: 'DELETE' }),
          { notify, danger: true, label: t('removeItem', { name: f.label }) })),
    ])),
    form([
      { name: 'key', label: 'key', required: true },
      { name: 'label', label: 'label', required: true },
      { name: 'label_en', label: 'labelEn' },
      { name: 'kind', label: 'kind', options: ['text', 'email', 'phone', 'select'].map((k) => [k, t(`kind_${k}`)]) },
      { name: 'required', label: 'required', type: 'checkbox' },
      { name: 'options', label: 'options' },
      { name: 'options_en', label: 'optionsEn' },
      { name: 'max_length', label: 'maxLength', type: 'number', value: '200' },
    ], 'create', run((v) => {
      const optionsEn = listOf(v.options_en);
      return post('/form-fields', {
        ...v,
        // No English label or options typed: none, and the widget shows the Norwegian ones.
        label_en: blankToNull(v.label_en),
        required: v.required === 'on',
        options: listOf(v.options),
        options_en: optionsEn.length > 0 ? optionsEn : undefined,
        max_length: Number(v.max_length),
      });
    })));
}
