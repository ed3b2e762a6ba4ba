import type { ScriptedConversation, ScriptedTicket } from './profile.js';

/**
 * Hand-written threads for the product page's example prompts, placed relative to `now`:
 * "double charge" mentioned in the last week (several wordings, several channels, plus an older
 * one outside the week), and the refund thread `cv_abc` with more than twenty messages.
 * Each scripted conversation's guest holds reservation #i (placeholders {code}, {place},
 * {amount}, {room}, {checkin}, {checkout} come from it).
 */
export const HOTEL_SCRIPTED_CONVERSATIONS: readonly ScriptedConversation[] = [
  {
    channel: 'email',
    status: 'open',
    subject: 'Double charge on booking {code}',
    staff: 'maya',
    stay: { checkInDays: -6, nights: 3 },
    endsMinutesAgo: 95,
    messages: [
      { from: 'contact', after: 0, text: 'Hello,\n\nI just checked my Visa statement and there is a double charge for booking {code} at {place}: {amount} was taken twice after I checked out on {checkout}.\n\nPlease refund the duplicate.\n\nThanks,\n{first}' },
      { from: 'staff', after: 34, text: 'Hi {first},\n\nThank you for letting us know, and sorry for the worry. I am looking at the payment records for {code} now and will get back to you within the hour.\n\nBest,\n{staff}' },
      { from: 'contact', after: 12, text: 'Thanks. To be clear, both charges say "posted", not "pending".' },
      { from: 'staff', after: 41, text: 'Hi {first},\n\nYou are right: the card was captured twice on our side. That is a real double charge, not the usual pre-authorization hold. I have asked our finance team to refund {amount} today and will send you the refund reference as soon as I have it.\n\nBest,\n{staff}' },
      { from: 'system', after: 1, text: 'Ticket created from this conversation: Double charge on booking {code}.' },
      { from: 'contact', after: 58, text: 'OK. How long until I see the money back? I would rather not wait weeks for a double charge that was your mistake.' },
    ],
  },
  {
    channel: 'whatsapp',
    status: 'open',
    staff: 'leila',
    stay: { checkInDays: -8, nights: 3 },
    endsMinutesAgo: 26 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'hi!! is this a double charge?? I see two payments of {amount} from Acme Hotels' },
      { from: 'agent', after: 1, text: 'Hi {first}, thanks for reaching out. One of the two amounts is probably the pre-authorization hold we take at check-in. It is released automatically within 5–7 business days after check-out.' },
      { from: 'contact', after: 6, text: 'but I checked out 4 days ago and it is still there' },
      { from: 'system', after: 1, text: 'Conversation handed over to Leila Haddad by Aria (Front Desk).' },
      { from: 'staff', after: 22, text: 'Hi {first}, Leila here from the front office. I checked booking {code}: the second amount is the hold and it was released yesterday on our side, so your bank should drop it within a couple of days.' },
      { from: 'contact', after: 9, text: 'ok great, thanks Leila' },
    ],
  },
  {
    channel: 'sms',
    status: 'closed',
    staff: 'daniel',
    stay: { checkInDays: -7, nights: 2 },
    endsMinutesAgo: 3 * 24 * 60 + 140,
    messages: [
      { from: 'contact', after: 0, text: 'Got a double charge alert from my bank for my stay at {place}. Booking {code}. Can someone call me?' },
      { from: 'staff', after: 15, text: 'Hi {first}, this is Daniel at Acme Hotels. I see a hold of {amount} plus the final payment. The hold is released automatically. Want me to call you anyway?' },
      { from: 'contact', after: 4, text: 'No that is fine, as long as it goes away. Thanks' },
      { from: 'staff', after: 2, text: 'It will. Have a good week, {first}!' },
    ],
  },
  {
    channel: 'webchat',
    status: 'snoozed',
    staff: 'maya',
    stay: { checkInDays: -12, nights: 4 },
    endsMinutesAgo: 5 * 24 * 60 + 300,
    messages: [
      { from: 'contact', after: 0, text: 'Question: why is there a double charge on my statement for reservation {code}?' },
      { from: 'agent', after: 1, text: 'Hi {first}! I can help with that. Could you tell me the two amounts and the dates they were taken?' },
      { from: 'contact', after: 3, text: '{amount} on {checkin} and {amount} again on {checkout}.' },
      { from: 'agent', after: 1, text: 'Thanks. The first one is the prepayment for your rate and the second looks like a duplicate. I am passing this to our billing team so they can refund it.' },
      { from: 'system', after: 1, text: 'Conversation handed over to Maya Chen by Aria (Front Desk).' },
      { from: 'staff', after: 45, text: 'Hi {first}, Maya from billing here. Confirmed: the second charge was a duplicate. The refund is on its way; I will check back with you on Monday to make sure it arrived.' },
    ],
  },
  {
    channel: 'email',
    status: 'closed',
    subject: 'Charged twice?',
    staff: 'maya',
    stay: { checkInDays: -25, nights: 2 },
    endsMinutesAgo: 18 * 24 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'Hi, I believe there is a double charge on my card for booking {code}. Could you check?\n\n{first}' },
      { from: 'staff', after: 90, text: 'Hi {first},\n\nI checked and one of the amounts is the pre-authorization hold for incidentals; it has already been released.\n\nBest,\n{staff}' },
      { from: 'contact', after: 200, text: 'Thanks, it is gone now.' },
    ],
  },
  {
    id: 'cv_abc',
    channel: 'whatsapp',
    status: 'open',
    staff: 'daniel',
    stay: { checkInDays: -5, nights: 6, status: 'checked_out' },
    endsMinutesAgo: 40,
    messages: [
      { from: 'contact', after: 0, text: 'Hi! We are arriving at {place} on {checkin} for booking {code}. Can we check in early? Our flight lands at 8am.' },
      { from: 'agent', after: 1, text: 'Hi {first}, welcome! Check-in is from 3pm, but I have added an early check-in request to your booking. You can always leave your bags with the concierge.' },
      { from: 'contact', after: 5, text: 'Perfect, thank you 🙏' },
      { from: 'contact', after: 1440, text: 'We landed, heading to the hotel now' },
      { from: 'agent', after: 1, text: 'Safe travels! The front desk knows you are coming.' },
      { from: 'contact', after: 95, text: 'We are here. Room not ready yet?' },
      { from: 'system', after: 1, text: 'Conversation handed over to Daniel Brooks by Aria (Front Desk).' },
      { from: 'staff', after: 8, text: 'Hi {first}, Daniel from the front desk. Your {room} will be ready by 12:30. Breakfast is on us while you wait, just give your name at the restaurant.' },
      { from: 'contact', after: 3, text: 'That is very kind, thanks Daniel!' },
      { from: 'staff', after: 150, text: 'Your room is ready. Keys are at the front desk. Enjoy your stay!' },
      { from: 'contact', after: 600, text: 'Quick question, is the spa open tomorrow morning?' },
      { from: 'staff', after: 12, text: 'It opens at 9am. Would you like me to book a treatment?' },
      { from: 'contact', after: 20, text: 'Maybe later, thanks.' },
      { from: 'contact', after: 1300, text: 'Hi Daniel, bad news. My mother is in hospital and we have to fly home tomorrow morning instead of staying until {checkout}.' },
      { from: 'staff', after: 6, text: 'I am so sorry to hear that, {first}. Please do not worry about the booking; I will check out the room for you tomorrow morning. I hope your mother is OK.' },
      { from: 'contact', after: 10, text: 'Thank you. What happens with the nights we do not use?' },
      { from: 'staff', after: 14, text: 'Let me check your rate and come back to you. You do not need to do anything right now.' },
      { from: 'contact', after: 500, text: 'We are at the airport. Left the keys at reception.' },
      { from: 'staff', after: 9, text: 'Got them, thank you. Safe flight, and our best wishes to your mother.' },
      { from: 'contact', after: 1500, text: 'Hi, any news about the unused nights?' },
      { from: 'staff', after: 35, text: 'Hi {first}, sorry for the delay. I have passed it to our revenue team, I will update you as soon as I hear back.' },
      { from: 'contact', after: 2800, text: 'Hello again. I still have not heard anything. We paid {amount} for the whole stay and only used part of it.' },
      { from: 'contact', after: 3, text: 'So am I getting a refund for the nights we did not use, or not? I would like a clear answer please.' },
    ],
  },
];

/** Open tickets touched in the last 24 hours (the "most urgent open tickets" example prompt). */
export const HOTEL_SCRIPTED_TICKETS: readonly ScriptedTicket[] = [
  {
    subject: 'Guest locked out: keycard not working at 2am',
    summary: 'Guest cannot get into the room; keycards demagnetised twice tonight. Night porter unavailable.',
    status: 'new', waiting_on: 'team', priority: 'urgent', tags: ['front-desk', 'keycard', 'safety'], source: 'phone', staff: null,
    stay: { checkInDays: -1, nights: 3 },
    endsMinutesAgo: 25,
    messages: [
      { from: 'contact', after: 0, text: 'Our keycards stopped working again, second time tonight. We are standing in the corridor at {place} and nobody answers at reception.' },
      { from: 'note', after: 3, text: 'Called the night porter twice, no answer. Escalating to the duty manager.' },
    ],
  },
  {
    subject: 'Water leaking from the ceiling in room 412',
    summary: 'Active leak above the bed; guest moved to another room, plumber called.',
    status: 'pending', waiting_on: 'third_party', priority: 'urgent', tags: ['maintenance', 'safety'], source: 'phone', staff: 'daniel',
    stay: { checkInDays: -2, nights: 4 },
    endsMinutesAgo: 130,
    messages: [
      { from: 'contact', after: 0, text: 'There is water dripping from the ceiling onto the bed in room 412!' },
      { from: 'staff', after: 6, text: 'I am so sorry, {first}. We are moving you to a suite on the 6th floor right now and a porter is on the way for your luggage.' },
      { from: 'note', after: 20, text: 'Room 412 out of order. Plumber (Bay Plumbing) arriving within 2 hours. Check 312 below for damage.' },
    ],
  },
  {
    subject: 'Double charge on booking {code}',
    summary: 'Card captured twice ({amount}); guest wants the refund and a reference. See the email conversation.',
    status: 'pending', waiting_on: 'team', priority: 'high', tags: ['billing', 'payments', 'refund'], source: 'email', staff: 'maya',
    sameContactAs: 0,
    endsMinutesAgo: 80,
    messages: [
      { from: 'contact', after: 0, text: 'I was charged {amount} twice for booking {code}. Please refund the duplicate.' },
      { from: 'note', after: 30, text: 'Confirmed in the payment dashboard: two captures for {code}. Asked finance for the refund, over the $500 limit? No, under it; refunding now.' },
      { from: 'staff', after: 15, text: 'Hi {first}, the refund of {amount} is being processed today. I will send you the reference shortly.' },
    ],
  },
  {
    subject: 'Passport left in the room safe after check-out',
    summary: 'Guest flew out this morning without their passport; flight home in two days.',
    status: 'new', waiting_on: 'team', priority: 'urgent', tags: ['lost-and-found', 'documents'], source: 'whatsapp', staff: null,
    stay: { checkInDays: -3, nights: 3 },
    endsMinutesAgo: 5 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'I think I left my passport in the safe of my room at {place}. I need it in two days for my flight home. Please help!' },
    ],
  },
  {
    subject: 'Accessible room not assigned for arrival tomorrow',
    summary: 'Wheelchair user booked an Accessible King; the booking shows a standard room.',
    status: 'new', waiting_on: 'team', priority: 'high', tags: ['accessibility', 'reservations'], source: 'email', staff: 'leila',
    stay: { checkInDays: 1, nights: 4 },
    endsMinutesAgo: 9 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'My confirmation for {code} says Standard King but I booked an accessible room with a roll-in shower. I use a wheelchair. Can you fix this before tomorrow?' },
      { from: 'note', after: 25, text: 'Only one accessible king free tomorrow, holding it. Need the manager to approve moving the group booking.' },
    ],
  },
  {
    subject: 'Refund for unused nights after early departure',
    summary: 'Guest left early for a family emergency and asks for the unused nights back. See WhatsApp conversation cv_abc.',
    status: 'pending', waiting_on: 'team', priority: 'normal', tags: ['refund', 'early-departure'], source: 'whatsapp', staff: 'daniel',
    sameContactAs: 5,
    endsMinutesAgo: 3 * 60,
    messages: [
      { from: 'note', after: 0, text: 'Guest left early (family emergency). Flexible rate, told the front desk before 11am, so unused nights should be refundable per policy. Waiting for revenue to confirm the amount.' },
      { from: 'note', after: 45, text: 'Revenue has not answered yet; guest chased again on WhatsApp.' },
    ],
  },
  {
    subject: 'Wi-Fi drops every few minutes on the third floor',
    summary: 'Several guests at Lakeside Lodge report Wi-Fi disconnects; vendor replacing access points.',
    status: 'pending', waiting_on: 'third_party', priority: 'normal', tags: ['it', 'amenities'], source: 'web_form', staff: 'leila',
    stay: { checkInDays: -1, nights: 2 },
    endsMinutesAgo: 14 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'The Wi-Fi in my room keeps dropping every 5 minutes, I cannot work. Room 318.' },
      { from: 'staff', after: 40, text: 'Sorry about that, {first}. Our network vendor is replacing the access points on your floor today; in the meantime the lobby and the business centre have a stable connection.' },
      { from: 'note', after: 5, text: 'Vendor ETA 4pm. Offer affected guests a drink voucher.' },
    ],
  },
  {
    subject: 'Invoice must show company VAT number',
    summary: 'Business traveller needs the invoice reissued with the company name and VAT number.',
    status: 'new', waiting_on: 'team', priority: 'low', tags: ['billing', 'invoice'], source: 'email', staff: null,
    stay: { checkInDays: -9, nights: 3 },
    endsMinutesAgo: 20 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'Could you reissue the invoice for {code} with our company name (Globex Ltd) and VAT number GB123456789? Thanks.' },
    ],
  },
  {
    subject: 'Noise from the wedding party in the courtyard',
    summary: 'Guest complains about music after 11pm; event contract says music ends at 10:30pm.',
    status: 'new', waiting_on: 'team', priority: 'normal', tags: ['complaint', 'events'], source: 'webchat', staff: null,
    stay: { checkInDays: -1, nights: 2 },
    endsMinutesAgo: 22 * 60,
    messages: [
      { from: 'contact', after: 0, text: 'It is past 11pm and the music from the courtyard is still very loud. We have a 6am flight.' },
    ],
  },
];
