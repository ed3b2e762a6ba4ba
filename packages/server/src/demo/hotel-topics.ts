import type { Topic } from './profile.js';

/**
 * Why guests write to Acme Hotels: scenes whose lines follow each other, so a generated thread
 * reads like a real exchange. Placeholders: {first} {name} {brand} {staff} and the hotel vars
 * ({place} {room} {code} {date} {amount}).
 */
export const HOTEL_TOPICS: readonly Topic[] = [
  {
    key: 'billing',
    weight: 10,
    tags: ['billing', 'payments', 'refund'],
    notes: [
      'Checked the payment dashboard for {code} before answering.',
      'Looped in accounts; they confirmed the payment history for {code}.',
      'Repeat guest; offered a breakfast voucher for the trouble.',
    ],
    scenes: [
      {
        subject: 'Double charge on my card',
        summary: 'Guest reports a double charge of {amount} for booking {code}; it was the pre-authorization hold.',
        openers: [
          'Hi, I think I got a double charge for my stay at {place}. My card shows {amount} twice.',
          'Hello, there is a double charge on my credit card from {brand}, booking {code}. Can you check?',
          'Why do I see a double charge of {amount}? I only booked one room.',
        ],
        turns: [
          'Thanks for flagging this, {first}. I can see booking {code} and I am checking the payment records now.',
          'OK, thanks. Both show {amount}.',
          'One of the two is the pre-authorization hold we take at check-in. It is not a charge and it is released automatically within 5–7 business days after check-out.',
          'So I will only pay once?',
          'Exactly, only one payment of {amount} stays on your card. I can email you the breakdown if you like.',
          'Yes please, that would be helpful.',
          'Done, it is in your inbox. Let me know if the hold is still there next week.',
          'Great, thank you for sorting it out.',
        ],
      },
      {
        subject: 'Charged twice for booking {code}',
        summary: 'Card captured twice for {code}; refund of {amount} issued.',
        openers: [
          'My bank app shows the same amount ({amount}) taken twice for reservation {code}. Is that a double charge or a hold?',
          'Hello, I was charged twice for my stay at {place}, booking {code}.',
        ],
        turns: [
          'I am sorry about that, {first}. Let me look at the payments for {code}.',
          'Both charges are marked as completed, not pending.',
          'You are right, the card was charged twice. I have refunded {amount} and you will get a confirmation email shortly.',
          'How long will it take to see the money back?',
          'Refunds usually show within 5–10 business days, depending on your bank.',
          'OK, I will keep an eye on my statement. Thanks.',
        ],
      },
      {
        subject: 'Invoice for stay {code}',
        summary: 'Invoice requested for booking {code} with company details.',
        openers: ['Could you send me an invoice for booking {code}? I need it for my expense report.', 'Hi, I need a proper invoice for my stay at {place}.'],
        turns: [
          'Of course, {first}. Should it be addressed to you or to your company?',
          'To my company please: Globex Ltd, 12 Market Street, London.',
          'I have sent the invoice for {code} with the company details to your email address.',
          'Got the email, thanks!',
        ],
      },
    ],
  },
  {
    key: 'refund',
    weight: 7,
    tags: ['refund', 'cancellation'],
    notes: ['Refund {amount} visible in the payment dashboard, status succeeded.', 'Checked the rate conditions for {code} against the refund policy.'],
    scenes: [
      {
        subject: 'Where is my refund?',
        summary: 'Guest asks about the refund for cancelled booking {code}.',
        openers: ['Hi, I cancelled booking {code} last week. When will I get my refund?', 'I still have not received the refund for my cancelled reservation {code}.'],
        turns: [
          'Hi {first}, I can see the cancellation of {code}. The refund of {amount} was issued on our side on {date}.',
          'The money is still not back on my card.',
          'Refunds go back to the original card and usually take 5–10 business days to appear. I have attached the refund reference so your bank can trace it.',
          'OK, I will wait a few more days. Thanks for the quick answer.',
        ],
      },
      {
        subject: 'Refund for leaving early',
        summary: 'Partial refund requested after an early departure from {place}.',
        openers: ['We had to leave {place} a day early because of a family emergency. Is a partial refund possible?'],
        turns: [
          'I am sorry to hear that, {first}. Did you let the front desk know before 11am on the day you left?',
          'Yes, we told reception in the morning.',
          'Then the unused night is refundable under our refund policy. I have asked our revenue team to process {amount}.',
          'Thank you, that is very fair.',
        ],
      },
    ],
  },
  {
    key: 'cancellation',
    weight: 6,
    tags: ['cancellation', 'reservations'],
    notes: ['Checked the deadline against the 72-hour cancellation policy.', 'Cancellation of {code} logged; confirmation sent.'],
    scenes: [
      {
        subject: 'Cancel reservation {code}',
        summary: 'Guest wants to cancel {code} and asks about fees.',
        openers: ['Hi, I need to cancel my booking {code} for {date}. Is there a fee?', 'Please cancel reservation {code}, our plans have changed.'],
        turns: [
          'Hi {first}, you can cancel free of charge up to 72 hours before arrival, so there is no fee for {code}.',
          'Great, please go ahead.',
          'Done: reservation {code} is cancelled and a confirmation email is on its way.',
          'Thank you, received the confirmation.',
        ],
      },
      {
        subject: 'Flight cancelled, need to cancel',
        summary: 'Late cancellation of {code} because the airline cancelled the flight.',
        openers: ['Our flight was just cancelled by the airline. We arrive tomorrow, can we cancel {code} without paying?'],
        turns: [
          'I am sorry about your flight, {first}. Could you forward the airline\'s cancellation notice?',
          'Sent it to your email just now.',
          'Thank you. Since the airline cancelled, I have waived the late cancellation fee and cancelled {code}.',
          'That is a relief, thanks. We will rebook soon.',
        ],
      },
    ],
  },
  {
    key: 'booking_change',
    weight: 9,
    tags: ['reservations', 'modification'],
    notes: ['Checked availability with the front office before confirming.', 'Change made in the reservation system; new confirmation sent.'],
    scenes: [
      {
        subject: 'Change dates for {code}',
        summary: 'Guest moves booking {code} to arrive on {date}.',
        openers: ['Hello, can I move my booking {code} to arrive on {date} instead?'],
        turns: [
          'Hi {first}, good news: we have availability on {date}. Shall I move it?',
          'Yes please. Does the rate stay the same?',
          'Same rate, and breakfast is still included. I have updated {code} and sent a new confirmation.',
          'Perfect, thanks a lot!',
        ],
      },
      {
        subject: 'Room change request',
        summary: 'Guest asks to switch to a {room} at {place}.',
        openers: ['Is it possible to switch to a {room} for our stay at {place}?'],
        turns: [
          'Hi {first}, a {room} is available for your dates. The new total would be {amount}.',
          'That works for us, please change it.',
          'Done! The updated confirmation is in your inbox.',
          'Wonderful, see you soon.',
        ],
      },
      {
        subject: 'One more guest',
        summary: 'Third guest added to booking {code}.',
        openers: ['We will be three adults instead of two. Can you update booking {code}?'],
        turns: [
          'Of course, {first}. The room fits three with a rollaway bed, which is free of charge.',
          'Great. Does breakfast cover the third person too?',
          'Yes, I have added breakfast for three to the booking.',
          'Thanks!',
        ],
      },
    ],
  },
  {
    key: 'arrival',
    weight: 8,
    tags: ['front-desk', 'check-in'],
    notes: ['Noted on the arrivals list for the front desk.'],
    scenes: [
      {
        subject: 'Early check-in?',
        summary: 'Guest asks for early check-in at {place}.',
        openers: ['Hi, our flight lands at 7am. Is early check-in possible at {place}?'],
        turns: [
          'Hi {first}, check-in starts at 3pm, but I have added an early check-in request to your booking. It depends on availability on the day.',
          'Can we at least leave our bags?',
          'Of course, the concierge will store your luggage and you can enjoy breakfast while you wait.',
          'Perfect, thanks.',
        ],
      },
      {
        subject: 'Late check-out request',
        summary: 'Late check-out requested for {date}.',
        openers: ['Could we get a late check-out on {date}? Our train is in the evening.'],
        turns: [
          'Hi {first}, I have noted a late check-out until 2pm for you, free of charge.',
          'Amazing. Can we leave our luggage after that?',
          'Yes, the concierge can keep it until your train.',
          'Thank you!',
        ],
      },
      {
        subject: 'Arriving late tonight',
        summary: 'Late arrival tonight; room guaranteed.',
        openers: ['We are arriving around midnight, will someone be at reception?'],
        turns: [
          'Hi {first}, our reception is open 24/7, so arriving at midnight is no problem. Your room is guaranteed.',
          'Great, see you then.',
        ],
      },
    ],
  },
  {
    key: 'amenities',
    weight: 7,
    tags: ['amenities', 'guest-services'],
    notes: ['Answered from the guest services pages of the knowledge base.'],
    scenes: [
      {
        subject: 'Question about parking',
        summary: 'Guest asks about parking at {place}.',
        openers: ['Do you have parking at {place}? How much is it per night?'],
        turns: [
          'Hi {first}, yes: Harbor View has valet parking for $35 per night, Lakeside Lodge has free self-parking, and for Old Town we can reserve a space in the public garage nearby.',
          'Do I need to reserve a space?',
          'No reservation needed, just drive up to the entrance.',
          'Thanks, that helps.',
        ],
      },
      {
        subject: 'Wi-Fi not working',
        summary: 'Wi-Fi connectivity problem in the room.',
        openers: ['The Wi-Fi in my room keeps disconnecting.', 'Hi, I cannot connect to the Wi-Fi in room 318.'],
        turns: [
          'Sorry about that, {first}! I have asked our IT team to reset the access point on your floor.',
          'It is still dropping every few minutes.',
          'Thanks for letting me know. The lobby and business centre have a stable connection while our vendor fixes your floor today.',
          'OK, works now, thank you!',
        ],
      },
      {
        subject: 'Airport shuttle',
        summary: 'Guest asks about the airport shuttle.',
        openers: ['Is there an airport shuttle, and do I need to book it?'],
        turns: [
          'Hi {first}, the Harbor View shuttle leaves every 30 minutes from 5am to 11pm; at Lakeside Lodge it needs booking 24 hours ahead.',
          'We are at Lakeside, flight at 10am on {date}.',
          'I have booked you on the 7am shuttle that morning.',
          'Great, thanks.',
        ],
      },
    ],
  },
  {
    key: 'complaint',
    weight: 6,
    tags: ['complaint', 'housekeeping', 'maintenance'],
    notes: ['Duty manager informed.', 'Manager approved a goodwill gesture for this guest.'],
    scenes: [
      {
        subject: 'Noise complaint',
        summary: 'Guest complains about noise from the next room.',
        openers: ['The room next to ours was extremely loud until 3am last night.'],
        turns: [
          'I am very sorry, {first}. I have spoken to the guests next door and can move you to a quieter room on a higher floor today.',
          'Yes, please move us.',
          'Done. A porter will help with your luggage at noon, and breakfast is on us tomorrow.',
          'Thank you, appreciate the quick response.',
        ],
      },
      {
        subject: 'Air conditioning broken',
        summary: 'Air conditioning broken in {room}.',
        openers: ['The air conditioning in our {room} does not work and it is very hot.'],
        turns: [
          'Sorry about that, {first}. Maintenance is on the way to look at it.',
          'Nobody has come yet, it has been 30 minutes.',
          'I apologise. The technician is on your floor now and will be with you in five minutes.',
          'Thank you, it is fixed now.',
        ],
      },
      {
        subject: 'Room was not clean',
        summary: 'Room not cleaned at check-in.',
        openers: ['We found the bathroom was not cleaned when we checked in to {place}.'],
        turns: [
          'I am so sorry, {first}. I have sent housekeeping to your room right away.',
          'This is not what I expect for the price.',
          'You are right. As an apology I have added a complimentary breakfast for your whole stay.',
          'OK, thank you for the gesture.',
        ],
      },
    ],
  },
  {
    key: 'lost_found',
    weight: 3,
    tags: ['lost-and-found'],
    notes: ['Item logged in lost & found, shelf B.'],
    scenes: [
      {
        subject: 'Left something in my room',
        summary: 'Guest left an item in the room after checking out.',
        openers: ['I think I left my phone charger in my room at {place}.', 'I forgot a jacket in the wardrobe when I checked out on {date}.'],
        turns: [
          'Hi {first}, housekeeping found it and it is safe at the front desk.',
          'Could you post it to me? I will pay for shipping.',
          'Of course. I will send you a payment link for the postage and ship it tomorrow.',
          'Thank you so much!',
        ],
      },
    ],
  },
  {
    key: 'special_request',
    weight: 5,
    tags: ['special-request', 'accessibility'],
    notes: ['Request noted on the reservation and shared with the front office.'],
    scenes: [
      {
        subject: 'Traveling with a dog',
        summary: 'Guest travelling with a pet.',
        openers: ['We would like to bring our dog. Is {place} pet friendly?'],
        turns: [
          'Hi {first}, dogs up to 25 kg are welcome at Harbor View and Lakeside Lodge for a fee of $40 per stay.',
          'Great, he is a small terrier. Can we get a ground-floor room?',
          'I have noted a ground-floor room on your booking.',
          'Wonderful, thank you!',
        ],
      },
      {
        subject: 'Accessible room',
        summary: 'Accessible room requested for an upcoming stay.',
        openers: ['I use a wheelchair. Do you have a room with a roll-in shower?'],
        turns: [
          'Hi {first}, yes, we have accessible rooms with roll-in showers and grab bars. I have assigned one to your booking.',
          'Can you guarantee that room type?',
          'Yes, accessible rooms are never released to other guests.',
          'That is so kind, thanks.',
        ],
      },
      {
        subject: 'Celebrating an anniversary',
        summary: 'Anniversary surprise requested for {date}.',
        openers: ['It is our anniversary on {date}. Could you arrange something special?'],
        turns: [
          'Congratulations, {first}! I have arranged a bottle of sparkling wine in your room and a late check-out.',
          'Could you add flowers too?',
          'Of course, a bouquet will be waiting on arrival.',
          'Wonderful, thank you!',
        ],
      },
    ],
  },
  {
    key: 'groups',
    weight: 3,
    tags: ['groups', 'sales'],
    notes: ['Forwarded to events@; proposal due Friday.'],
    scenes: [
      {
        subject: 'Group booking for 12 rooms',
        summary: 'Group booking inquiry for {date}.',
        openers: ['Could we reserve a block of 12 rooms for a wedding at {place}?', 'We are planning a company offsite for 25 people on {date}. Do you have meeting rooms?'],
        turns: [
          'Hi {first}, thanks for thinking of us! For groups of 10 rooms or more we offer 15% off the best available rate.',
          'Would breakfast be included?',
          'Yes, breakfast is included in group rates. Our events team will send a proposal within one business day.',
          'When do we need to confirm the final number of rooms?',
          'Final rooming lists are due 21 days before arrival.',
          'Looking forward to the proposal.',
        ],
      },
    ],
  },
];

/** Side questions a guest may add to any thread, with the team's answer. */
export const HOTEL_SMALL_TALK: ReadonlyArray<readonly [string, string]> = [
  ['One more question: what time is breakfast?', 'Breakfast is served from 6:30 to 10:30 on weekdays and until 11:00 at weekends.'],
  ['Also, is the pool heated?', 'Yes, the pool is heated all year and open until 10pm.'],
  ['By the way, can we pay at the hotel?', 'Yes, you can pay at check-in by card or Apple Pay.'],
  ['Is there a gym?', 'Yes, the gym is open 24 hours with your room key.'],
  ['Do you have a restaurant on site?', 'Yes, the restaurant is open for dinner from 6pm; booking is recommended at weekends.'],
  ['Is there somewhere to store bikes?', 'Yes, there is a locked bike room next to the garage; ask the front desk for the code.'],
];
