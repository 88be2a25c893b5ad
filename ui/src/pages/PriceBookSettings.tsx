import { type FormEvent, useEffect, useState } from 'react';
import { apiRequest, errorMessage } from '../api';
import { Notice } from '../components';
import { formatMoney, minorToDecimalText, parseMoney } from '../format';
import type { TPriceBook, TPriceBookItem } from '../types';
import { useResource } from '../use-resource';

// The price book every proposal's line items come from. Items are deactivated, never deleted, because past
// proposal versions still name them.

export function PriceBookSettings(props: { isAdmin: boolean }) {
  const priceBook = useResource<TPriceBook>('/api/settings/price-book');
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const currency = priceBook.data?.currency ?? 'USD';

  const run = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      setEditing(undefined);
      await priceBook.reload();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };

  return (
    <section className="card" aria-labelledby="price-book-heading">
      <h2 id="price-book-heading">Price book</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {priceBook.error ? <Notice kind="error">{errorMessage(priceBook.error)}</Notice> : null}
      {priceBook.data ? (
        <>
          <CurrencyAndTerms
            priceBook={priceBook.data}
            isAdmin={props.isAdmin}
            onSave={(body) => run(() => apiRequest('PUT', '/api/settings/price-book', { body }))}
          />
          <div className="table-scroll">
            <table className="data-table">
              <caption className="visually-hidden">Price book items</caption>
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col">Item</th>
                  <th scope="col" className="number">
                    Unit price
                  </th>
                  <th scope="col">Unit</th>
                  <th scope="col">State</th>
                  {props.isAdmin ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {priceBook.data.items.map((item) =>
                  editing === item.id ? (
                    <tr key={item.id}>
                      <td colSpan={6}>
                        <ItemForm
                          item={item}
                          currency={currency}
                          onCancel={() => setEditing(undefined)}
                          onSave={(body) =>
                            run(() => apiRequest('PATCH', `/api/settings/price-book/items/${item.id}`, { body }))
                          }
                        />
                      </td>
                    </tr>
                  ) : (
                    <ItemRow
                      key={item.id}
                      item={item}
                      currency={currency}
                      isAdmin={props.isAdmin}
                      onEdit={() => setEditing(item.id)}
                      onDeactivate={() => run(() => apiRequest('DELETE', `/api/settings/price-book/items/${item.id}`))}
                    />
                  ),
                )}
              </tbody>
            </table>
          </div>
          {props.isAdmin ? (
            <details>
              <summary>Add an item</summary>
              <ItemForm
                currency={currency}
                onSave={(body) => run(() => apiRequest('POST', '/api/settings/price-book/items', { body }))}
              />
            </details>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function ItemRow(props: {
  item: TPriceBookItem;
  currency: string;
  isAdmin: boolean;
  onEdit: () => void;
  onDeactivate: () => Promise<void>;
}) {
  const { item } = props;

  return (
    <tr className={item.active ? undefined : 'inactive'}>
      <td>{item.sku}</td>
      <td>
        {item.name}
        {item.description ? <div className="muted">{item.description}</div> : null}
      </td>
      <td className="number">{formatMoney(item.unitPriceMinor, props.currency)}</td>
      <td>{item.unit}</td>
      <td>{item.active ? 'Active' : 'Inactive'}</td>
      {props.isAdmin ? (
        <td className="row-actions">
          <button type="button" onClick={props.onEdit} aria-label={`Edit ${item.name}`}>
            Edit
          </button>
          {item.active ? (
            <button type="button" onClick={() => void props.onDeactivate()} aria-label={`Deactivate ${item.name}`}>
              Deactivate
            </button>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

function CurrencyAndTerms(props: {
  priceBook: TPriceBook;
  isAdmin: boolean;
  onSave: (body: { currency: string; terms: string }) => Promise<void>;
}) {
  const [currency, setCurrency] = useState(props.priceBook.currency);
  const [terms, setTerms] = useState(props.priceBook.terms);
  useEffect(() => {
    setCurrency(props.priceBook.currency);
    setTerms(props.priceBook.terms);
  }, [props.priceBook]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void props.onSave({ currency: currency.trim().toUpperCase(), terms });
  };

  return (
    <form onSubmit={submit}>
      <fieldset disabled={!props.isAdmin}>
        <legend className="visually-hidden">Currency and terms</legend>
        <label className="field narrow-field">
          Currency (ISO code)
          <input
            value={currency}
            onChange={(event) => setCurrency(event.target.value)}
            pattern="[A-Za-z]{3}"
            required
          />
        </label>
        <label className="field">
          Terms
          <textarea value={terms} onChange={(event) => setTerms(event.target.value)} rows={3} />
        </label>
        {props.isAdmin ? (
          <div className="actions">
            <button type="submit">Save currency and terms</button>
          </div>
        ) : null}
      </fieldset>
    </form>
  );
}

type TItemBody = { sku: string; name: string; description: string; unit: string; unitPriceMinor: number };

function ItemForm(props: {
  item?: TPriceBookItem;
  currency: string;
  onSave: (body: TItemBody) => Promise<void>;
  onCancel?: () => void;
}) {
  const [sku, setSku] = useState(props.item?.sku ?? '');
  const [name, setName] = useState(props.item?.name ?? '');
  const [description, setDescription] = useState(props.item?.description ?? '');
  const [unit, setUnit] = useState(props.item?.unit ?? '');
  const [price, setPrice] = useState(props.item ? minorToDecimalText(props.item.unitPriceMinor, props.currency) : '');
  const [error, setError] = useState<string>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const unitPriceMinor = parseMoney(price, props.currency);
    if (unitPriceMinor === null) {
      setError(`Invalid unit price "${price}": type a number such as 1200.50.`);
      return;
    }
    setError(undefined);
    void props.onSave({
      sku: sku.trim(),
      name: name.trim(),
      description: description.trim(),
      unit: unit.trim(),
      unitPriceMinor,
    });
  };

  return (
    <form className="item-form" onSubmit={submit}>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div className="row-fields">
        <label className="field">
          SKU
          <input value={sku} onChange={(event) => setSku(event.target.value)} required maxLength={64} />
        </label>
        <label className="field">
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={200} />
        </label>
        <label className="field">
          Unit
          <input
            value={unit}
            onChange={(event) => setUnit(event.target.value)}
            required
            maxLength={40}
            placeholder="month"
          />
        </label>
        <label className="field">
          Unit price ({props.currency})
          <input value={price} onChange={(event) => setPrice(event.target.value)} required inputMode="decimal" />
        </label>
      </div>
      <label className="field">
        Description
        <input value={description} onChange={(event) => setDescription(event.target.value)} maxLength={500} />
      </label>
      <div className="actions">
        <button type="submit">{props.item ? 'Save item' : 'Add item'}</button>
        {props.onCancel ? (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
