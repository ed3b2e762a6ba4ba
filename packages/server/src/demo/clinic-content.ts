import type { KnowledgeSpec, Topic } from './profile.js';

/** Why patients write to Northwind Clinic. */
export const CLINIC_TOPICS: readonly Topic[] = [
  {
    key: 'booking',
    weight: 10,
    tags: ['appointments'],
    notes: ['Added to the waitlist for earlier slots.'],
    scenes: [
      {
        subject: 'Appointment request',
        summary: 'Patient wants an appointment with {clinician}.',
        openers: ['Hi, I would like to book an appointment with {clinician} next week.', 'Do you have any openings for a physiotherapy session this week?'],
        turns: [
          'Hi {first}, {clinician} has an opening on {date} at 10:30. Shall I book it?',
          'Is there anything in the afternoon?',
          'There is also 3:15pm the same day.',
          '3:15 is perfect, please book it.',
          'Done. You will get an SMS reminder the day before. Please bring your insurance card.',
          'Great, see you then.',
        ],
      },
      {
        subject: 'Reschedule my appointment',
        summary: 'Patient moves the appointment on {date}.',
        openers: ['Can I move my appointment on {date} to later in the day?', 'I need to cancel my appointment on {date}, sorry.'],
        turns: [
          'Hi {first}, no problem. Would 4pm the same day work, or would you prefer another day?',
          '4pm works.',
          'Done, your appointment is moved. Next time, please let us know at least 24 hours ahead so we can offer the slot to another patient.',
          'Will do, thank you!',
        ],
      },
    ],
  },
  {
    key: 'results',
    weight: 6,
    tags: ['results'],
    notes: ['Results reviewed by {clinician}, nothing urgent.'],
    scenes: [
      {
        subject: 'Test results',
        summary: 'Patient asks about test results from {date}.',
        openers: ['Hi, are my blood test results back yet?', 'I had a scan on {date}, when will I hear about the results?'],
        turns: [
          'Hi {first}, your results are in the patient portal, and {clinician} will go through them with you at your follow-up.',
          'Can you send them by email?',
          'For privacy we never send results by email, but the portal has a download button.',
          'OK, I will check the portal. Thanks.',
        ],
      },
    ],
  },
  {
    key: 'prescription',
    weight: 5,
    tags: ['prescriptions'],
    notes: ['Needs a medication review before the next refill.'],
    scenes: [
      {
        subject: 'Prescription refill',
        summary: 'Repeat prescription requested.',
        openers: ['Could I get a refill of my prescription? I have a few days left.', 'My pharmacy says the prescription has expired.'],
        turns: [
          'Hi {first}, I have sent the request to {clinician}; refills are usually approved within one working day.',
          'Can it go to the pharmacy on Elm Street?',
          'Yes, it will be sent straight to the Elm Street pharmacy.',
          'Got it, thank you.',
        ],
      },
    ],
  },
  {
    key: 'billing',
    weight: 4,
    tags: ['billing', 'insurance'],
    notes: ['Claim resubmitted with the correct procedure code.'],
    scenes: [
      {
        subject: 'Question about my invoice',
        summary: 'Invoice of {amount} disputed; insurance should cover it.',
        openers: ['I received an invoice for {amount} but I thought my insurance covers this.'],
        turns: [
          'Hi {first}, thanks for checking. I have resubmitted the claim to your insurer; you do not need to pay until they reply.',
          'And if they refuse?',
          'Then we offer payment plans over 3 or 6 months without interest.',
          'That works, thanks.',
        ],
      },
    ],
  },
];

/** Side questions a patient may add to any thread, with the team's answer. */
export const CLINIC_SMALL_TALK: ReadonlyArray<readonly [string, string]> = [
  ['Also, is there parking at the clinic?', 'Yes, there is free parking behind the Elm Street building.'],
  ['What are your opening hours on Saturday?', 'Elm Street is open from 9am to 1pm on Saturdays.'],
  ['Do I need to fast before the visit?', 'Only for some blood tests; we will tell you in the reminder if you need to.'],
];

/** Northwind Clinic's own knowledge base (no overlap with the hotel's). */
export const CLINIC_KNOWLEDGE: readonly KnowledgeSpec[] = [
  {
    title: 'Policies',
    createdDaysAgo: 400,
    updatedDaysAgo: 50,
    children: [
      { title: 'Appointment cancellations', createdDaysAgo: 400, updatedDaysAgo: 50, body: '# Appointment cancellations\n\nPlease cancel or reschedule at least 24 hours before your appointment. Late cancellations and missed appointments are charged a $50 fee, waived once per year.' },
      { title: 'Privacy', createdDaysAgo: 380, updatedDaysAgo: 200, body: '# Privacy\n\nWe never share medical information by email, SMS or chat. Test results are available in the patient portal and discussed with your clinician.' },
      { title: 'Payments and insurance', createdDaysAgo: 350, updatedDaysAgo: 90, body: '# Payments and insurance\n\nWe bill most insurers directly. Patients without insurance pay at the end of the visit; interest-free payment plans over 3 or 6 months are available.' },
    ],
  },
  {
    title: 'Services',
    createdDaysAgo: 400,
    updatedDaysAgo: 30,
    children: [
      { title: 'General practice', createdDaysAgo: 400, updatedDaysAgo: 120, body: '# General practice\n\nCheck-ups, chronic condition reviews and same-day appointments for urgent problems. Book online, by phone or by SMS.' },
      { title: 'Physiotherapy', createdDaysAgo: 300, updatedDaysAgo: 30, body: '# Physiotherapy\n\nSessions last 45 minutes. Wear comfortable clothes and bring any scans or referral letters.' },
      { title: 'Vaccinations', createdDaysAgo: 250, updatedDaysAgo: 20, body: '# Vaccinations\n\nFlu vaccinations are available from September to March, walk-in on Tuesday and Thursday mornings. Travel vaccines need an appointment at least 6 weeks before departure.' },
      { title: 'Blood tests', createdDaysAgo: 300, updatedDaysAgo: 60, body: '# Blood tests\n\nSome blood tests need fasting for 8 to 12 hours; water is fine. Results usually take 3 to 5 working days.' },
    ],
  },
  {
    title: 'Patient information',
    createdDaysAgo: 390,
    updatedDaysAgo: 15,
    children: [
      { title: 'Opening hours', createdDaysAgo: 390, updatedDaysAgo: 15, body: '# Opening hours\n\nElm Street: Monday to Friday 8am to 7pm, Saturday 9am to 1pm. Riverside: Monday to Friday 9am to 5pm.' },
      { title: 'Preparing for your visit', createdDaysAgo: 380, updatedDaysAgo: 70, body: '# Preparing for your visit\n\nArrive 10 minutes early, bring your insurance card, a photo ID and a list of your current medication.' },
    ],
  },
];
