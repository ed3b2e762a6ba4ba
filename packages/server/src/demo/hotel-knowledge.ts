import type { KnowledgeSpec } from './profile.js';

/**
 * Acme Hotels' knowledge base. The cancellation window changed from 48 to 72 hours: the policy
 * article states the new rule, while an FAQ answer, a reply macro, the group terms and the
 * archived 2023 policy still say "48 hours" — the stale copies the product page's example prompt
 * asks a model to find.
 */
export const HOTEL_KNOWLEDGE: readonly KnowledgeSpec[] = [
  {
    title: 'Policies',
    createdDaysAgo: 700,
    updatedDaysAgo: 30,
    children: [
      {
        title: 'Cancellation',
        createdDaysAgo: 700,
        updatedDaysAgo: 30,
        body: `# Cancellation policy

Effective for all stays booked from March 1 onwards.

## Standard rates
Guests can cancel free of charge up to 72 hours before the arrival date (3pm local time at the property). Cancellations made later than 72 hours before arrival, and no-shows, are charged the first night including taxes.

## Non-refundable rates
Advance Purchase and Member Saver rates are prepaid and cannot be cancelled or changed. If the guest cannot travel because of a documented emergency (medical, flight cancellation by the airline, natural disaster), a duty manager may offer a credit for a future stay.

## How to cancel
Guests can cancel from the link in their confirmation email, by replying to any message from us, or by calling the property. Always send a cancellation confirmation with the confirmation code.`,
      },
      {
        title: 'Refunds',
        createdDaysAgo: 690,
        updatedDaysAgo: 45,
        body: `# Refund policy

Refunds always go back to the original payment method. We never refund in cash or to a different card.

## Timing
We issue refunds within 2 business days of approval. Banks usually show them within 5–10 business days; some card issuers take up to one statement cycle.

## Early departure
When a guest leaves earlier than booked, unused nights on flexible rates are refunded in full if the guest tells the front desk before 11am on the day of departure. After that, the current night is charged. Unused nights on non-refundable rates are not refunded, but a duty manager may offer a credit for a future stay.

## Billing errors
If a guest was charged twice, or charged the wrong amount, refund the difference at once and apologise; no approval is needed up to $500. Above $500, ask the finance team.

## What to tell the guest
Give the refund amount, the date it was issued and the refund reference, and explain that the timing then depends on their bank.`,
      },
      {
        title: 'Payments and deposits',
        createdDaysAgo: 680,
        updatedDaysAgo: 60,
        body: `# Payments and deposits

At check-in we take a pre-authorization of the room total plus $100 per night for incidentals. A pre-authorization is a hold, not a charge: it shows on the guest's statement as pending and is released within 5–7 business days after check-out.

## When a guest reports a double charge
Most reports of a double charge are the pre-authorization hold showing next to the final payment. Check the payment dashboard: if one of the two amounts is an uncaptured authorization, explain that it will drop off automatically. If both amounts were captured, it is a real double charge: refund one of them right away (see Refunds).

## Accepted payment methods
Visa, Mastercard, American Express, Apple Pay and Google Pay. We do not accept cheques.`,
      },
      {
        title: 'Pets',
        createdDaysAgo: 500,
        updatedDaysAgo: 200,
        body: `# Pet policy

Dogs up to 25 kg are welcome at Acme Harbor View and Acme Lakeside Lodge for a fee of $40 per stay. Acme Old Town is not able to host pets. Service animals are always welcome at every property, free of charge.

Pets may not be left alone in the room unless crated. Please ask guests to mention their pet when booking so we can assign a ground-floor room.`,
      },
      {
        title: 'Check-in and check-out',
        createdDaysAgo: 690,
        updatedDaysAgo: 120,
        body: `# Check-in and check-out

Check-in is from 3pm and check-out is until 11am at all properties. Early check-in and late check-out depend on availability; late check-out until 2pm is free for Gold and Platinum members.

Reception is open 24 hours a day. Guests can store luggage with the concierge before check-in and after check-out.

Guests must show a photo ID and the card used for the booking. The minimum check-in age is 21.`,
      },
    ],
  },
  {
    title: 'Properties',
    createdDaysAgo: 700,
    updatedDaysAgo: 90,
    children: [
      {
        title: 'Acme Harbor View',
        createdDaysAgo: 700,
        updatedDaysAgo: 90,
        body: `# Acme Harbor View, San Francisco

A 180-room hotel on the waterfront, 25 minutes from SFO. Room types: Standard King, Deluxe Queen, Accessible King and Bay View Suite.

Valet parking costs $35 per night. The rooftop bar is open from 4pm to midnight. The ballroom seats 220 guests for weddings and conferences.`,
      },
      {
        title: 'Acme Old Town',
        createdDaysAgo: 650,
        updatedDaysAgo: 110,
        body: `# Acme Old Town, Lisbon

A 64-room boutique hotel in a restored 19th-century building in Alfama. Room types: Classic Double, Superior Twin and Junior Suite. Prices are in euros.

There is no on-site parking; the nearest public garage is 300 metres away. The restaurant offers a chef's table dinner on Thursdays and Fridays.`,
      },
      {
        title: 'Acme Lakeside Lodge',
        createdDaysAgo: 600,
        updatedDaysAgo: 75,
        body: `# Acme Lakeside Lodge, Lake Tahoe

A 95-room mountain lodge with a spa, a heated outdoor pool and family cabins. Room types: Lodge Room, Lake View King and Family Cabin.

Free self-parking. The airport shuttle to Reno-Tahoe runs four times a day and must be booked 24 hours in advance.`,
      },
    ],
  },
  {
    title: 'Guest services',
    createdDaysAgo: 680,
    updatedDaysAgo: 20,
    children: [
      { title: 'Parking', createdDaysAgo: 680, updatedDaysAgo: 150, body: '# Parking\n\nHarbor View: valet only, $35 per night with in-and-out privileges. Old Town: no parking; we can reserve a space in the public garage on Rua da Judiaria for €22 per day. Lakeside Lodge: free self-parking, two EV chargers.' },
      { title: 'Airport shuttle', createdDaysAgo: 600, updatedDaysAgo: 80, body: '# Airport shuttle\n\nHarbor View runs a free shuttle to SFO every 30 minutes from 5am to 11pm. Lakeside Lodge runs four shuttles a day to Reno-Tahoe airport, $25 per person, bookable 24 hours in advance. Old Town has no shuttle; the metro reaches the airport in 25 minutes.' },
      { title: 'Wi-Fi', createdDaysAgo: 600, updatedDaysAgo: 12, body: '# Wi-Fi\n\nFree Wi-Fi in all rooms and public areas. Network: Acme-Guest, no password; guests accept the terms on the splash page.\n\nIf a guest reports drops, ask for the room number and open an IT ticket tagged it. Known issue: the third floor of Lakeside Lodge while the access points are being replaced.' },
      { title: 'Breakfast and dining', createdDaysAgo: 650, updatedDaysAgo: 40, body: '# Breakfast and dining\n\nBreakfast is served from 6:30 to 10:30 on weekdays and from 7:00 to 11:00 at weekends. Gluten-free, vegan and lactose-free options are always available; allergies should be noted on the reservation.' },
      { title: 'Spa and wellness', createdDaysAgo: 500, updatedDaysAgo: 65, body: '# Spa and wellness\n\nThe spa at Lakeside Lodge is open from 9am to 8pm. Treatments must be booked at least 24 hours in advance and can be cancelled free of charge up to 12 hours before the appointment.' },
      { title: 'Accessibility', createdDaysAgo: 450, updatedDaysAgo: 25, body: '# Accessibility\n\nEvery property has accessible rooms with roll-in showers, grab bars and lowered fixtures, and step-free routes to the lobby, restaurant and pool. Assign accessible rooms at booking time and never release them to other guests on the day.' },
      { title: 'Lost and found', createdDaysAgo: 400, updatedDaysAgo: 100, body: '# Lost and found\n\nItems are kept for 90 days (valuables and documents for 180 days). We can ship items at the guest\'s cost: send a payment link for postage. Passports are handed to the local consulate after 30 days.' },
    ],
  },
  {
    title: 'Groups and events',
    createdDaysAgo: 500,
    updatedDaysAgo: 200,
    children: [
      {
        title: 'Group bookings',
        createdDaysAgo: 500,
        updatedDaysAgo: 210,
        body: `# Group bookings

Groups of 10 rooms or more get 15% off the best available rate and one complimentary room per 20 paid rooms.

Final rooming lists are due 21 days before arrival. Individual rooms in a group block can be cancelled free of charge up to 48 hours before arrival; after that the first night is charged.`,
      },
      {
        title: 'Weddings and meetings',
        createdDaysAgo: 480,
        updatedDaysAgo: 300,
        body: '# Weddings and meetings\n\nThe Harbor View ballroom seats 220 and the Lakeside terrace 120. Our events team answers enquiries within one business day and sends a proposal with menus and room block options.',
      },
    ],
  },
  {
    title: 'FAQ',
    createdDaysAgo: 690,
    updatedDaysAgo: 150,
    body: `# Frequently asked questions

**Can I cancel my booking?** Yes. You can cancel free of charge up to 48 hours before arrival; later cancellations are charged the first night.

**When will I get my refund?** Refunds are issued within 2 business days and usually reach your card within 5–10 business days.

**Do you allow pets?** Dogs are welcome at Harbor View and Lakeside Lodge.

**Is breakfast included?** It depends on the rate; your confirmation email says whether it is.`,
  },
  {
    title: 'Internal',
    createdDaysAgo: 700,
    updatedDaysAgo: 10,
    children: [
      {
        title: 'Reply macros',
        createdDaysAgo: 650,
        updatedDaysAgo: 10,
        children: [
          { title: 'Apology for a billing error', createdDaysAgo: 400, updatedDaysAgo: 60, body: 'Hi {first name},\n\nI am sorry for the trouble with your bill. I have refunded {amount} to your card today; your bank should show it within 5–10 business days. Your refund reference is {reference}.\n\nWarm regards,\nAcme Hotels' },
          { title: 'Cancellation confirmation', createdDaysAgo: 600, updatedDaysAgo: 250, body: 'Hi {first name},\n\nYour reservation {confirmation code} is cancelled. As you cancelled more than 48 hours before arrival, no fee applies.\n\nWe hope to welcome you another time,\nAcme Hotels' },
          { title: 'Late check-out approved', createdDaysAgo: 300, updatedDaysAgo: 10, body: 'Hi {first name},\n\nGood news: your late check-out until {time} is confirmed. Enjoy the rest of your stay!\n\nAcme Hotels' },
        ],
      },
      { title: 'Escalation matrix', createdDaysAgo: 500, updatedDaysAgo: 35, body: '# Escalation matrix\n\n- Billing errors above $500: finance team, same day.\n- Safety issues (leaks, lock-outs, injuries): duty manager by phone, immediately.\n- Press or social media complaints: general manager.\n- Lost passports and documents: duty manager; after 30 days, the consulate.' },
      {
        title: 'Archive',
        createdDaysAgo: 700,
        updatedDaysAgo: 100,
        children: [
          { title: 'Cancellation policy 2023', createdDaysAgo: 700, updatedDaysAgo: 400, body: '# Cancellation policy (2023, superseded)\n\nGuests may cancel free of charge up to 48 hours before arrival. Cancellations within 48 hours of arrival are charged one night.' },
        ],
      },
    ],
  },
];
