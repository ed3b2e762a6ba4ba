import type { KnowledgeSpec, Topic } from './profile.js';

/** Why patients write to Northwind Clinic. */
export const CLINIC_TOPICS: readonly Topic[] = [
  {
    key: 'booking',
    weight: 10,
    subjects: ['Appointment request', 'Reschedule my appointment', 'Booking a check-up'],
    openers: [
      'Hi, I would like to book an appointment with {clinician} next week.',
      'Can I move my appointment on {date} to later in the day?',
      'Do you have any openings for a physiotherapy session this week?',
      'I need to cancel my appointment on {date}, sorry.',
    ],
    followUps: ['Is there anything in the afternoon?', 'Do I need to bring anything?', 'Can my daughter come in the same slot?'],
    replies: [
      'Hi {first}, {clinician} has an opening on {date} at 10:30. Shall I book it?',
      'Done, your appointment is moved. You will get a reminder by SMS the day before.',
      'Please cancel at least 24 hours ahead so we can offer the slot to another patient.',
      'Please bring your insurance card and a list of your current medication.',
    ],
    closers: ['Thank you!', 'Great, see you then.', 'Perfect.'],
    tags: ['appointments'],
    summaries: ['Patient wants to book or move an appointment with {clinician}.'],
    notes: ['Added to the waitlist for earlier slots.'],
  },
  {
    key: 'results',
    weight: 6,
    subjects: ['Test results', 'Blood test results?'],
    openers: ['Hi, are my blood test results back yet?', 'I had a scan on {date}, when will I hear about the results?'],
    followUps: ['Should I book a follow-up?', 'Can you send them by email?'],
    replies: [
      'Hi {first}, your results are in and {clinician} will go through them with you at your follow-up.',
      'For privacy we cannot send results by email; you can see them in the patient portal.',
      'Results usually take 3 to 5 working days.',
    ],
    closers: ['Thanks for letting me know.', 'OK, I will check the portal.'],
    tags: ['results'],
    summaries: ['Patient asks about test results from {date}.'],
    notes: ['Results reviewed by {clinician}, nothing urgent.'],
  },
  {
    key: 'prescription',
    weight: 5,
    subjects: ['Prescription refill', 'Repeat prescription'],
    openers: ['Could I get a refill of my prescription? I have a few days left.', 'My pharmacy says the prescription has expired.'],
    followUps: ['Can it be sent to the pharmacy on Elm Street?', 'How long does it take?'],
    replies: [
      'Hi {first}, I have sent the request to {clinician}; refills are usually approved within one working day.',
      'Your repeat prescription has been sent to your pharmacy.',
    ],
    closers: ['Thanks!', 'Got it, thank you.'],
    tags: ['prescriptions'],
    summaries: ['Repeat prescription requested.'],
    notes: ['Needs a medication review before the next refill.'],
  },
  {
    key: 'billing',
    weight: 4,
    subjects: ['Question about my invoice', 'Insurance claim'],
    openers: ['I received an invoice for {amount} but I thought my insurance covers this.', 'Can you send my invoice to my insurer?'],
    followUps: ['My policy number is on file.', 'Is a payment plan possible?'],
    replies: [
      'Hi {first}, I have resubmitted the claim to your insurer; you do not need to pay until they reply.',
      'We offer payment plans over 3 or 6 months without interest.',
    ],
    closers: ['Thank you for your help.', 'That works, thanks.'],
    tags: ['billing', 'insurance'],
    summaries: ['Invoice of {amount} disputed; insurance should cover it.'],
    notes: ['Claim resubmitted with the correct procedure code.'],
  },
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
