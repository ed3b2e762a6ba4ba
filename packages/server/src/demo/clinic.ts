import { CLINIC_KNOWLEDGE, CLINIC_SMALL_TALK, CLINIC_TOPICS } from './clinic-content.js';
import type { WorkspaceProfile } from './profile.js';
import { formatMoney, spokenDate } from './text.js';

const CLINICIANS = ['Dr. Priya Raman', 'Dr. Samuel Osei', 'Anna Lindqvist (physiotherapist)', 'Dr. Hugo Martins'];
const SITES = ['Northwind Clinic, Elm Street', 'Northwind Clinic, Riverside'];

/**
 * A second, smaller workspace of another kind (appointments rather than reservations), so
 * tests and demos can check that nothing leaks between workspaces.
 */
export const CLINIC_PROFILE: WorkspaceProfile = {
  slug: 'northwind-clinic',
  name: 'Northwind Clinic',
  base: { contacts: 60, conversations: 80, tickets: 30, calls: 25, appointments: 150, reservations: 0 },
  countries: [['US', 1]],
  historyDays: 365,
  channelWeights: { sms: 45, email: 25, webchat: 20, whatsapp: 5, voice: 5 },
  staff: [
    { key: 'priya', name: 'Priya Raman', email: 'priya.raman@northwind-clinic.example', role: 'admin' },
    { key: 'tom', name: 'Tom Becker', email: 'tom.becker@northwind-clinic.example', role: 'member' },
  ],
  senders: [
    { channel: 'sms', address: '+12065550180', display_name: 'Northwind Clinic', is_default: true },
    { channel: 'email', address: 'frontdesk@northwind-clinic.example', display_name: 'Northwind Clinic', is_default: true },
    { channel: 'whatsapp', address: '+12065550181', display_name: 'Northwind Clinic', is_default: true },
    { channel: 'webchat', address: 'northwind-clinic.example', display_name: 'Patient portal chat', is_default: true },
    { channel: 'voice', address: '+12065550180', display_name: 'Northwind Clinic reception', is_default: true },
  ],
  attributes: [
    { key: 'insurance_provider', label: 'Insurance provider', type: 'enum', options: ['Aetna', 'Blue Cross', 'Cigna', 'UnitedHealthcare', 'Self-pay'], share: 0.8,
      value: (rng) => rng.pick(['Aetna', 'Blue Cross', 'Cigna', 'UnitedHealthcare', 'Self-pay']) },
    { key: 'date_of_birth', label: 'Date of birth', type: 'date', share: 0.9,
      value: (rng) => `${rng.int(1940, 2020)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}` },
    { key: 'sms_reminders', label: 'SMS reminders', type: 'boolean', share: 0.95, value: (rng) => rng.chance(0.8) },
    { key: 'missed_appointments', label: 'Missed appointments', type: 'number', share: 0.7, value: (rng) => rng.weighted([[0, 70], [1, 20], [2, 7], [3, 3]]) },
    { key: 'patient_number', label: 'Patient number', type: 'string', share: 1, value: (_rng, contact) => `NW-${String(10000 + contact.index)}` },
  ],
  topics: CLINIC_TOPICS,
  smallTalk: CLINIC_SMALL_TALK,
  calls: [
    {
      weight: 3,
      summaries: ['{first} booked an appointment with {clinician} for {date}.'],
      turns: [
        ['staff', 'Northwind Clinic, how can I help?'],
        ['contact', 'Hi, I would like to see {clinician}, ideally on {date}.'],
        ['staff', 'There is a slot at 9:15 that day. Shall I book it?'],
        ['contact', 'Yes please.'],
        ['staff', 'Done. You will get an SMS reminder the day before.'],
      ],
      voicemail: 'Hi, this is {first}, I would like to book an appointment, please call me back.',
    },
    {
      weight: 2,
      summaries: ['{first} asked about test results; told they are in the portal.'],
      turns: [
        ['contact', 'Hello, are my test results back?'],
        ['staff', 'Yes, they are in the patient portal, and {clinician} will discuss them at your follow-up.'],
        ['contact', 'Thanks.'],
      ],
      voicemail: 'Hello, {first} here, calling about my test results.',
    },
  ],
  appointments: [
    { title: 'Annual check-up', minutes: 30, weight: 4, locations: SITES, notes: ['Fasting blood test beforehand.', '', 'Review blood pressure.'] },
    { title: 'Physiotherapy session', minutes: 45, weight: 5, locations: SITES, notes: ['Knee rehab, week 3.', 'Lower back pain.', ''] },
    { title: 'Flu vaccination', minutes: 15, weight: 3, locations: SITES, notes: [''] },
    { title: 'Blood test', minutes: 15, weight: 3, locations: SITES, notes: ['Fasting required.', ''] },
    { title: 'Follow-up consultation', minutes: 20, weight: 4, locations: SITES, notes: ['Discuss test results.', 'Medication review.'] },
    { title: 'Travel vaccination consult', minutes: 30, weight: 1, locations: ['Northwind Clinic, Elm Street'], notes: ['Trip to Kenya in 7 weeks.'] },
  ],
  reservations: null,
  knowledge: CLINIC_KNOWLEDGE,
  skills: [
    { key: 'booking', name: 'Appointment booking', description: 'Book, move and cancel appointments.',
      body: 'Offer the next two free slots with the requested clinician. Remind patients of the 24-hour cancellation rule.',
      allowed_tools: ['list_appointments', 'get_appointment', 'send_conversation_message'], tags: ['appointments'], enabled: true },
    { key: 'privacy', name: 'Privacy guard', description: 'Keeps medical details out of messages.',
      body: 'Never discuss diagnoses or results in a message; point patients to the portal and their clinician.',
      allowed_tools: ['search_knowledge'], tags: ['compliance'], enabled: true },
  ],
  agents: [
    { name: 'Northwind Scheduler', description: 'Books and moves appointments by SMS and chat.',
      instructions: 'Help patients book, move and cancel appointments. Never give medical advice.',
      guardrails: ['No medical advice.', 'No test results in messages.'], skills: ['booking', 'privacy'], operation_mode: 'copilot', channels: ['sms', 'webchat'] },
  ],
  vars(rng, clock) {
    return {
      place: rng.pick(SITES),
      clinician: rng.pick(CLINICIANS),
      date: spokenDate(clock.date(rng.int(-14, 21))),
      amount: formatMoney(rng.int(4, 60) * 2500, 'USD'),
      code: `NW-${rng.int(10000, 99999)}`,
      room: `Room ${rng.int(1, 8)}`,
    };
  },
  scripted: { conversations: [], tickets: [] },
};
